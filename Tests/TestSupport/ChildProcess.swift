import DevenvBasics
import Foundation

/// A program the tests start, in a session and process group of its own. Not Foundation's
/// Process: it watches a descriptor that daemons started by the child (a tmux server) inherit, and
/// then waits as long as they live.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let description: String
    private var status: Int32?

    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        streams: Subprocess.Streams = Subprocess.Streams(), directory: String? = nil
    ) throws {
        description = ([executable] + arguments).joined(separator: " ")
        pid = try Subprocess.start(
            executable, arguments, environment: environment ?? ProcessInfo.processInfo.environment, streams: streams,
            directory: directory, newSession: true)
    }

    /// Waits for the program to end and returns its exit status; after `seconds` it is killed with
    /// everything it started and the wait fails, so that a hung child fails its test instead of
    /// hanging the run.
    @discardableResult
    public func wait(timeout seconds: Double = 600) throws -> Int32 {
        if let status { return status }
        let deadline = Date().addingTimeInterval(seconds)
        var pause: useconds_t = 200
        while true {
            if let ended = try Subprocess.poll(pid) {
                status = ended
                return ended
            }
            if Date() > deadline {
                kill()
                throw CommandFailure(description: "\(description) did not finish in \(Int(seconds)) s and was killed")
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }

    /// Kills the program and what it started (SIGKILL: children of the test runner may inherit a
    /// mask that blocks SIGTERM) and reaps it.
    public func kill() {
        guard status == nil else { return }
        Glibc.kill(-pid, SIGKILL)
        Glibc.kill(pid, SIGKILL)
        status = try? Subprocess.wait(pid)
    }
}
