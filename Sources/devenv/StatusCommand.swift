import ArgumentParser
import DevenvServices
import DevenvShell
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract:
            "Show the project the shell hook has loaded (or the current directory's): since when, its environment, whether it is allowed, up to date and realized, and its services."
    )

    func run() throws {
        let session = try Session()
        let status = try withManifestErrors {
            try ProjectStatus(
                store: session.store, directory: FileManager.default.currentDirectoryPath,
                environment: ProcessInfo.processInfo.environment, shell: getppid())
        }
        if let active = status.active {
            print("active:      \(status.root)")
            if let since = active.since { print("since:       \(ISO8601DateFormatter().string(from: since))") }
            if let environment = active.environment { print("environment: \(environment)") }
        } else {
            print("active:      none (project here: \(status.root))")
        }
        let allowed = [.allowed: "yes", .changed: "no (changed since it was allowed)", .unknown: "no"][status.verdict]!
        print("allowed:     \(allowed)")
        let lock = [.missing: "no (no devenv.lock)", .stale: "no (run `devenv lock`)", .current: "yes"][status.lock]!
        print("up to date:  \(lock)")
        print("realized:    \(status.realized.map { "yes (\($0))" } ?? "no")")
        // What `devenv up` runs there (never a reason for status to fail).
        let services = ServiceDirectory(status.root + "/.devenv/state")
        if let running = try? services.running() {
            let states = running.services.map { "\($0.name) \($0.state.rawValue)" }.joined(separator: ", ")
            print("services:    \(states) (supervisor pid \(running.pid))")
        } else {
            print("services:    none up")
        }
    }
}
