import DevenvBasics
import Foundation
import Glibc

/// A bash command that must finish in time: a readiness probe, a stop command.
enum BoundedCommand {
    /// Runs `command` with bash in a session of its own, its output discarded; whether it exits 0
    /// within `limit` seconds (past that, its group is killed).
    static func succeeds(_ command: String, environment: [String: String], directory: String, limit: Double)
        -> Bool
    {
        let empty = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(empty) }
        guard
            let pid = try? Subprocess.start(
                "/bin/bash", ["-c", command], environment: environment,
                streams: Subprocess.Streams(input: empty, output: empty, error: empty), directory: directory,
                newSession: true)
        else { return false }
        let deadline = Date().addingTimeInterval(limit)
        while true {
            guard let status = try? Subprocess.poll(pid) else {
                if Date() <= deadline {
                    usleep(2000)
                    continue
                }
                kill(-pid, SIGKILL)
                _ = try? Subprocess.wait(pid)
                return false
            }
            return status == 0
        }
    }
}
