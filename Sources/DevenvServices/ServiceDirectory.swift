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
        unlink(Supervisor.stopRequestPath(in: path))
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
        if names.isEmpty {
            kill(status.pid, SIGTERM)
        } else {
            try OwnFiles.replace(
                Supervisor.stopRequestPath(in: path), with: Array((names.joined(separator: "\n") + "\n").utf8))
            kill(status.pid, SIGUSR1)
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let current = try running() else { return true }
            if !names.isEmpty,
                names.allSatisfy({ current[$0].map { $0.state == .stopped || $0.state == .failed } ?? true })
            {
                return true
            }
            usleep(20_000)
        }
        return false
    }
}
