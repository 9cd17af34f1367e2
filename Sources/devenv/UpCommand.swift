import ArgumentParser
import DevenvBasics
import DevenvProject
import DevenvServices
import DevenvShell
import Foundation

struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the project's services and run them until Ctrl-C.",
        discussion: """
            Starts the named services (default: all of devenv.toml's [services]) and those they come \
            after, each once those are ready; shows their output, prefixed with their names, and keeps \
            it in .devenv/state/NAME/log. Ctrl-C (or SIGTERM) stops them in reverse order. Exits 1 \
            when a service does not become ready.
            """
    )

    @Argument(help: "Services to start (with those they come after).")
    var names: [String] = []

    @OptionGroup var project: ProjectOptions

    func run() throws {
        try withManifestErrors {
            let session = try Session()
            let workspace = try project.workspace(session)
            let services = try workspace.manifest.services(names)
            guard !services.isEmpty else { throw ValidationError("devenv.toml has no [services]") }
            try workspace.project.checkStateDirectory()
            var environments: [String: [String: String]] = [:]
            for shell in Set(services.map(\.shell)) {
                environments[shell] =
                    try workspace.enter(
                        shell: shell, realizer: session.realizer(), base: ProcessInfo.processInfo.environment,
                        directory: workspace.project.root
                    ).variables
            }
            let width = services.map(\.name.count).max() ?? 0
            let colors = isatty(1) == 1 && ProcessInfo.processInfo.environment["CI"] != "true"
            let palette = ["36", "33", "35", "32", "34", "31"]
            let prefixes = Dictionary(
                uniqueKeysWithValues: services.enumerated().map { index, service in
                    let name = service.name.padding(toLength: width, withPad: " ", startingAt: 0)
                    return (
                        service.name,
                        colors ? "\u{1B}[\(palette[index % palette.count])m\(name) |\u{1B}[0m " : "\(name) | "
                    )
                })
            let supervisor = try Supervisor(
                services: services, environments: environments, root: workspace.project.root,
                stateDirectory: workspace.project.stateDirectory + "/state",
                // A line at a time, as it comes (print would hold them back in a pipe).
                output: { name, line in
                    FileHandle.standardOutput.write(Data((prefixes[name, default: ""] + line + "\n").utf8))
                },
                events: { name, event in printError("\(name): \(UpCommand.describe(event))") })
            if case .failed(let name, let reason, let log) = try supervisor.run() {
                printError("Error: the service \(name) did not come up: \(reason)")
                for line in log { printError("  \(name) | \(line)") }
                throw ExitCode(1)
            }
        }
    }

    static func describe(_ event: Supervisor.Event) -> String {
        switch event {
        case .started(let pid): "started (pid \(pid))"
        case .ready(let seconds): "ready after \(Format.seconds(seconds))"
        case .exited(let status): "exited with status \(status)"
        case .restarting(let delay, let attempt, let limit):
            "restarting in \(Format.seconds(delay)) (\(attempt) of \(limit))"
        case .notReady(let seconds): "not ready after \(Format.seconds(seconds))"
        case .stopping: "stopping"
        case .stopped(let status): "stopped (status \(status))"
        }
    }
}
