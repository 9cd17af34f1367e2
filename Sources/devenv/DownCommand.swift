import ArgumentParser
import DevenvBasics
import DevenvProject
import DevenvServices
import Foundation

struct DownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop the services `devenv up` started (default: all, and the supervisor with them).",
        discussion: "Each stops by its stop command or signal, then SIGKILL after its grace period."
    )

    @Argument(help: "Services to stop.")
    var names: [String] = []

    @OptionGroup var project: ProjectOptions

    func run() throws {
        try withManifestErrors {
            let (directory, manifest) = try project.serviceDirectory()
            guard let status = try directory.running() else {
                printError("no services are up")
                return
            }
            for name in names where status[name] == nil {
                throw ProjectError(
                    "the supervisor runs no service '\(name)' (it runs \(status.services.map(\.name).joined(separator: ", ")))"
                )
            }
            let grace = manifest.services.values.map(\.stopGrace).reduce(10, +)
            guard try directory.stop(names, of: status, timeout: grace) else {
                throw ProjectError("the services did not stop within \(Format.seconds(grace))")
            }
            printError("stopped: \((names.isEmpty ? status.services.map(\.name) : names).joined(separator: ", "))")
        }
    }
}
