import ArgumentParser
import DevenvBasics
import DevenvProject
import DevenvServices
import DevenvShell
import Foundation

struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the project's services and run them until Ctrl-C (or, with -d, in the background).",
        discussion: """
            Starts the named services (default: all of devenv.toml's [services]) and those they come \
            after, each once those are ready; shows their output, prefixed with their names, and keeps \
            it in .devenv/state/NAME/log. Ctrl-C (or SIGTERM) stops them in reverse order. With -d a \
            supervisor keeps them running in the background; `devenv up` returns once they are ready. \
            Exits 1 when a service does not become ready, 0 when they are already up.
            """
    )

    @Argument(help: "Services to start (with those they come after).")
    var names: [String] = []

    @Flag(name: [.customShort("d"), .customLong("detach")], help: "Run them in the background.")
    var detach = false

    @Flag(name: .customLong("supervise"), help: .hidden)
    var supervise = false

    @OptionGroup var project: ProjectOptions

    func run() throws {
        try withManifestErrors {
            let session = try Session()
            let workspace = try project.workspace(session)
            let services = try workspace.manifest.services(names)
            guard !services.isEmpty else { throw ProjectError("devenv.toml has no [services]") }
            try workspace.project.checkStateDirectory()
            let directory = ServiceDirectory(workspace.project.stateDirectory + "/state")
            try directory.prepare()
            if detach {
                guard
                    let pid = try BackgroundSupervisor.start(
                        services, names: names, directory: directory, root: workspace.project.root)
                else { return try reportRunning(services, directory: directory) }
                printError("up (supervisor pid \(pid)): \(services.map(\.name).joined(separator: ", "))")
                return
            }
            guard let lock = try directory.becomeSupervisor() else {
                if supervise { throw ExitCode(BackgroundSupervisor.anotherSupervisor) }
                return try reportRunning(services, directory: directory)
            }
            defer { lock.release() }
            var environments: [String: [String: String]] = [:]
            for shell in Set(services.map(\.shell)) {
                environments[shell] =
                    try workspace.enter(
                        shell: shell, realizer: session.realizer(), base: ProcessInfo.processInfo.environment,
                        directory: workspace.project.root
                    ).variables
            }
            let prefixes = UpCommand.prefixes(services.map(\.name))
            // In the background, what happens goes to supervisor.log, which rotates as the services' logs do.
            let supervisorLog = supervise ? try ServiceLog(path: directory.supervisorLogPath) : nil
            let supervisor = try Supervisor(
                services: services, environments: environments, root: workspace.project.root,
                stateDirectory: directory.path, statusPath: directory.statusPath,
                // A line at a time, as it comes (print would hold them back in a pipe); in the
                // background the logs have them.
                output: { name, line in
                    if !supervise {
                        FileHandle.standardOutput.write(Data((prefixes[name, default: ""] + line + "\n").utf8))
                    }
                },
                events: { name, event in
                    let line = "\(name): \(UpCommand.describe(event))"
                    if let supervisorLog {
                        try? supervisorLog.append(Array((line + "\n").utf8))
                    } else {
                        printError(line)
                    }
                })
            if case .failed(let name, let reason, let log) = try supervisor.run() {
                printError("Error: the service \(name) did not come up: \(reason)")
                for line in log { printError("  \(name) | \(line)") }
                throw ExitCode(1)
            }
        }
    }

    /// Another supervisor runs: fine when it runs what was asked for.
    private func reportRunning(_ services: [Service], directory: ServiceDirectory) throws {
        guard let status = try BackgroundSupervisor.running(services, directory: directory) else {
            throw ProjectError("another devenv up has just stopped; run it again")
        }
        printError("already up (supervisor pid \(status.pid)): \(services.map(\.name).joined(separator: ", "))")
    }

    /// `name | ` for each service, padded to the longest; colored on a terminal outside CI.
    static func prefixes(_ names: [String]) -> [String: String] {
        let width = names.map(\.count).max() ?? 0
        let colors = isatty(1) == 1 && ProcessInfo.processInfo.environment["CI"] != "true"
        let palette = ["36", "33", "35", "32", "34", "31"]
        return Dictionary(
            uniqueKeysWithValues: names.enumerated().map { index, name in
                let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
                return (
                    name, colors ? "\u{1B}[\(palette[index % palette.count])m\(padded) |\u{1B}[0m " : "\(padded) | "
                )
            })
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
