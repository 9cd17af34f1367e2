import ArgumentParser
import DevenvBasics
import DevenvProject
import DevenvServices
import Foundation

/// A supervisor in the background (`devenv up --supervise`, in a session of its own), as
/// `up -d` and `check` start one, or the one that runs already, asked to start what it lacks.
enum BackgroundSupervisor {
    /// The exit status of a background supervisor that found another one running.
    static let anotherSupervisor: Int32 = 3

    /// How services were brought up.
    enum Started {
        /// The running supervisor had them all.
        case already(pid_t)
        /// The running supervisor started these (the others it ran already).
        case added(pid_t, [String])
        /// A new supervisor runs them.
        case started(pid_t)
    }

    /// How long services may take to come up, restarts included.
    static func limit(_ services: [Service]) -> Double {
        services.map { $0.readyTimeout + $0.backoff * Double($0.maxRestarts) }.reduce(30, +)
    }

    /// Brings `services` up in the running supervisor, asking it to start those it does not run;
    /// nil when none runs (or it ended meanwhile). One that does not come up is an error with
    /// the end of its log.
    static func join(_ services: [Service], directory: ServiceDirectory) throws -> Started? {
        guard let status = try directory.running() else { return nil }
        let missing = services.map(\.name).filter { name in
            status[name].map { $0.state == .stopped || $0.state == .failed } ?? true
        }
        guard !missing.isEmpty else { return .already(status.pid) }
        guard let after = try directory.start(missing, of: status, timeout: limit(services)) else { return nil }
        for name in missing where after[name]?.state != .ready {
            let why =
                after[name].map { $0.failure ?? $0.state.rawValue + ($0.exitStatus.map { " (status \($0))" } ?? "") }
                ?? "the supervisor did not take it (its output says why)"
            let log = ServiceLog.lastLines(of: directory.logPath(of: name), 20).map { "\n  \(name) | \($0)" }
            throw ProjectError("the service \(name) did not come up: \(why)" + log.joined())
        }
        return .added(status.pid, missing)
    }

    /// Brings `names` (their services: `services`) up: in the running supervisor, or in a new
    /// one, once they are ready. When they do not come up, the error carries the supervisor's
    /// lines of this run.
    static func start(_ services: [Service], names: [String], directory: ServiceDirectory, root: String) throws
        -> Started
    {
        // Another supervisor may start, or end, meanwhile: looked for again.
        for _ in 0..<3 {
            if let joined = try join(services, directory: directory) { return joined }
            if let started = try spawn(services, names: names, directory: directory, root: root) {
                return .started(started)
            }
        }
        throw ProjectError("other devenv ups keep starting and stopping supervisors; run it again")
    }

    /// Starts a supervisor for `names` and waits until they are ready: its pid, or nil when
    /// another one started first.
    private static func spawn(_ services: [Service], names: [String], directory: ServiceDirectory, root: String)
        throws -> pid_t?
    {
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
        let limit = limit(services)
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            if let ended = try Subprocess.poll(supervisor) {
                if ended == anotherSupervisor { return nil }
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
