import ArgumentParser
import DevenvBasics
import DevenvProject
import DevenvServices
import Foundation

/// A supervisor in the background (`devenv up --supervise`, in a session of its own), as
/// `up -d` and `check` start one.
enum BackgroundSupervisor {
    /// The exit status of a background supervisor that found another one running.
    static let anotherSupervisor: Int32 = 3

    /// The running supervisor when it runs every one of `services`; an error when it runs others.
    static func running(_ services: [Service], directory: ServiceDirectory) throws -> SupervisorStatus? {
        guard let status = try directory.running() else { return nil }
        let missing = services.map(\.name).filter { name in
            status[name].map { $0.state == .stopped || $0.state == .failed } ?? true
        }
        guard missing.isEmpty else {
            throw ProjectError(
                "a supervisor (pid \(status.pid)) runs this project's services without \(missing.joined(separator: ", ")); `devenv down` first"
            )
        }
        return status
    }

    /// Starts one for `names` (their services: `services`) and waits until they are ready: its
    /// pid, or nil when a supervisor already runs them. When they do not come up, the error
    /// carries the supervisor's lines of this run.
    static func start(_ services: [Service], names: [String], directory: ServiceDirectory, root: String) throws
        -> pid_t?
    {
        if try running(services, directory: directory) != nil { return nil }
        // Its own errors (before it supervises anything) go here too.
        let log = try SystemCall.retrying("cannot open '\(directory.supervisorLogPath)'") {
            open(directory.supervisorLogPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
        defer { close(log) }
        // Where this run's lines start: the log has earlier runs' too.
        let offset = lseek(log, 0, SEEK_END)
        let empty = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(empty) }
        let supervisor = try Subprocess.start(
            CurrentExecutable.path, ["up", "--supervise", "-C", root] + names,
            environment: ProcessInfo.processInfo.environment,
            streams: Subprocess.Streams(input: empty, output: log, error: log), newSession: true)
        let limit = services.map { $0.readyTimeout + $0.backoff * Double($0.maxRestarts) }.reduce(30, +)
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            if let ended = try Subprocess.poll(supervisor) {
                if ended == anotherSupervisor, try running(services, directory: directory) != nil { return nil }
                let lines = linesOfThisRun(directory.supervisorLogPath, from: offset)
                throw ProjectError("the services did not come up:\n" + lines.suffix(25).joined(separator: "\n"))
            }
            if let status = SupervisorStatus.read(directory.statusPath), status.pid == supervisor,
                services.allSatisfy({ status[$0.name]?.state == .ready })
            {
                return supervisor
            }
            usleep(10_000)
        }
        kill(supervisor, SIGTERM)
        throw ProjectError("the services were not ready after \(Format.seconds(limit)); stopped them")
    }

    /// The lines of the log at `path` from `offset` on (from its start when it has rotated since).
    private static func linesOfThisRun(_ path: String, from offset: off_t) -> [String] {
        let bytes = OwnFiles.contents(of: path, limit: 2 * ServiceLog.defaultLimit) ?? []
        let start = offset >= 0 && Int(offset) <= bytes.count ? Int(offset) : 0
        return String(decoding: bytes[start...], as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
