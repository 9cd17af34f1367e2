import ArgumentParser
import DevenvBasics
import DevenvProject
import DevenvServices
import Foundation

struct DownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop the services `devenv up` started (default: all, and the supervisor with them).",
        discussion: """
            Each stops by its stop command or signal, then SIGKILL after its grace period. With --wipe, \
            the named services' state (.devenv/state/NAME: data, logs, port) is removed once they are \
            stopped, after asking first (--yes: without asking; without a terminal, it is needed).
            """
    )

    @Argument(help: "Services to stop.")
    var names: [String] = []

    @Flag(help: "Also remove the named services' state directories.")
    var wipe = false

    @Flag(name: .shortAndLong, help: "Do not ask before --wipe removes anything.")
    var yes = false

    @OptionGroup var project: ProjectOptions

    func validate() throws {
        if wipe && names.isEmpty { throw ValidationError("--wipe needs the services whose state to remove") }
    }

    func run() throws {
        try withManifestErrors {
            let (directory, manifest) = try project.serviceDirectory()
            var wiped: [String] = []
            if wipe {
                // Named by devenv.toml, so that a name never reaches outside .devenv/state.
                _ = try manifest.services(names)
                // Asked before anything is stopped: a refusal changes nothing.
                wiped = try confirmWipe(directory)
            }
            if let status = try directory.running() {
                if let unknown = names.first(where: { status[$0] == nil }), !wipe {
                    throw ProjectError(
                        "the supervisor runs no service '\(unknown)' (it runs \(status.services.map(\.name).joined(separator: ", ")))"
                    )
                }
                let named = names.filter { status[$0] != nil }
                let up = (names.isEmpty ? status.services.map(\.name) : named).filter {
                    status[$0].map { $0.state != .stopped && $0.state != .failed } ?? false
                }
                let grace = manifest.services.values.map(\.stopGrace).reduce(10, +)
                if names.isEmpty || !up.isEmpty {
                    guard try directory.stop(names.isEmpty ? [] : up, of: status, timeout: grace) else {
                        throw ProjectError("the services did not stop within \(Format.seconds(grace))")
                    }
                }
                if !up.isEmpty { printError("stopped: \(up.joined(separator: ", "))") }
                let idle = names.isEmpty ? [] : named.filter { !up.contains($0) }
                if !idle.isEmpty { printError("not running: \(idle.joined(separator: ", "))") }
            } else if !wipe {
                printError("no services are up")
            }
            for path in wiped {
                try FileTree.remove(path)
                printError("removed \(path)")
            }
        }
    }

    /// The state directories `--wipe` removes, once confirmed (by --yes, or on a terminal); none
    /// when declined. Without a terminal or --yes, an error.
    private func confirmWipe(_ directory: ServiceDirectory) throws -> [String] {
        let paths = names.map { directory.path + "/" + $0 }.filter { (try? SystemCall.lstatIfExists($0)) ?? nil != nil }
        guard !paths.isEmpty else {
            printError("nothing to wipe")
            return []
        }
        if !yes {
            guard isatty(0) == 1 else {
                throw ProjectError("--wipe removes \(paths.joined(separator: ", ")); confirm with --yes")
            }
            StandardStream.error.write("Remove \(paths.joined(separator: ", ")) (the services' data)? [y/N] ")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                printError("nothing removed")
                return []
            }
        }
        return paths
    }
}
