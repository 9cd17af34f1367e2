import DevenvBasics
import DevenvProject
import Foundation
import Glibc

/// A project's services as their files under `.devenv/state` show them: a supervisor holds
/// `supervisor.lock` for as long as it runs (the kernel lets go of it when the supervisor dies,
/// however it dies) and keeps `supervisor.json` current; each service has its directory.
public struct ServiceDirectory: Sendable {
    public let path: String

    public init(_ path: String) { self.path = path }

    public var lockPath: String { path + "/supervisor.lock" }
    public var statusPath: String { path + "/supervisor.json" }
    /// The detached supervisor's own output (what happened to the services, and why it stopped).
    public var supervisorLogPath: String { path + "/supervisor.log" }
    public func logPath(of service: String) -> String { path + "/" + service + "/log" }

    /// Makes `.devenv/state` (and `.devenv`) when missing; refuses either when it is a link.
    public func prepare() throws {
        try ProjectStateDirectory.prepare((path as NSString).deletingLastPathComponent)
        try OwnFiles.directory(path)
    }

    /// The lock that makes this process the project's supervisor, or nil when one runs. The
    /// files a supervisor that died left behind are removed.
    public func becomeSupervisor() throws -> PathLock? {
        guard let lock = try PathLock.tryAcquire(lockPath) else { return nil }
        unlink(statusPath)
        for request in [SupervisorRequest.stop, .start] { request.pending(in: path).files.forEach { unlink($0) } }
        return lock
    }

    /// The running supervisor's status, or nil when none runs (what one that died left is
    /// removed). A supervisor that has only just started may not have written it yet: waited for.
    public func running() throws -> SupervisorStatus? {
        // No state directory, no supervisor; one that is a link is not looked into.
        guard try OwnFiles.isDirectory((path as NSString).deletingLastPathComponent), try OwnFiles.isDirectory(path)
        else { return nil }
        if let lock = try becomeSupervisor() {
            lock.release()
            return nil
        }
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            if let status = SupervisorStatus.read(statusPath) { return status }
            usleep(10_000)
        }
        throw SystemError("a supervisor holds \(lockPath) but reports nothing in \(statusPath)")
    }

    /// Asks the supervisor to stop `names` (all when empty; then it exits) and waits until they
    /// have, or `timeout` seconds have passed; whether they did.
    public func stop(_ names: [String], of status: SupervisorStatus, timeout: Double) throws -> Bool {
        var request: String? = nil
        defer { request.map { _ = unlink($0) } }
        if names.isEmpty {
            kill(status.pid, SIGTERM)
        } else {
            request = try SupervisorRequest.stop.send(names, to: status.pid, in: path)
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let current = try running() else {
                // Its lock is free; `down` is done once the process itself is gone too.
                while names.isEmpty, ServiceDirectory.isRunning(status.pid), Date() < deadline { usleep(5_000) }
                return true
            }
            if !names.isEmpty,
                names.allSatisfy({ current[$0].map { $0.state == .stopped || $0.state == .failed } ?? true })
            {
                return true
            }
            usleep(20_000)
        }
        return false
    }

    /// Whether process `pid` exists and has not ended (a zombie has).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = OwnFiles.contents(of: "/proc/\(pid)/stat", limit: 4096),
            let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count
        else { return false }
        return stat[close + 2] != UInt8(ascii: "Z")
    }

    /// Asks the supervisor to start `names` (and what they come after) and waits until it has
    /// taken the request and each is ready or failed, or `timeout` seconds have passed: its
    /// status then, or nil when it ended first.
    public func start(_ names: [String], of status: SupervisorStatus, timeout: Double) throws -> SupervisorStatus? {
        let request = try SupervisorRequest.start.send(names, to: status.pid, in: path)
        defer { unlink(request) }
        let deadline = Date().addingTimeInterval(timeout)
        var current = status
        while Date() < deadline {
            // The supervisor removes the request once the services have their new states, so
            // whether it has is asked first: a status read before that could predate the request.
            let taken = OwnFiles.contents(of: request, limit: 1) == nil
            guard let now = try running(), now.pid == status.pid else { return nil }
            current = now
            if taken,
                names.allSatisfy({ name in
                    current[name].map { $0.state == .ready || $0.state == .failed || $0.state == .stopped } ?? true
                })
            {
                return current
            }
            usleep(20_000)
        }
        return current
    }
}
