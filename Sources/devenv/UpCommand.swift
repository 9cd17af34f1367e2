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
            When a supervisor runs already, it is asked to start those it does not run, and `up` \
            returns once they are ready. Exits 1 when a service does not become ready.
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
                let started = try BackgroundSupervisor.start(
                    services, names: names, directory: directory, root: workspace.project.root)
                return report(started, services)
            }
            var supervising: PathLock? = nil
            // A supervisor that runs is asked for what it lacks; one that ends meanwhile is replaced.
            for _ in 0..<3 {
                if let lock = try directory.becomeSupervisor() {
                    supervising = lock
                    break
                }
                if supervise { throw ExitCode(BackgroundSupervisor.anotherSupervisor) }
                if let joined = try BackgroundSupervisor.join(services, directory: directory) {
                    return report(joined, services)
                }
            }
            guard let lock = supervising else {
                throw ProjectError("other devenv ups keep starting and stopping supervisors; run it again")
            }
            defer { lock.release() }
            let environments = try workspace.environments(
                of: services, realizer: session.realizer(), base: ProcessInfo.processInfo.environment)
            let prefixes = UpCommand.prefixes(services.map(\.name))
            // In the background, what happens goes to supervisor.log, which rotates as the services' logs do.
            let supervisorLog = supervise ? try ServiceLog(path: directory.supervisorLogPath) : nil
            let supervisor = try Supervisor(
                services: services, environments: environments, root: workspace.project.root,
                stateDirectory: directory.path, statusPath: directory.statusPath,
                resolve: { names in
                    // devenv.toml as it is now: a later `up` may name a service added since.
                    let current = try Workspace(
                        project: workspace.project, store: session.store, policy: .frozen, debian: session.debian())
                    let services = try current.manifest.services(names)
                    return (
                        services,
                        try current.environments(
                            of: services, realizer: session.realizer(), base: ProcessInfo.processInfo.environment)
                    )
                },
                // A line at a time, as it comes (print would hold them back in a pipe); in the
                // background the logs have them. A service started later gets its name as prefix.
                output: { name, line in
                    if !supervise {
                        let prefix = prefixes[name] ?? UpCommand.prefixes([name])[name, default: ""]
                        StandardStream.output.write(prefix + line + "\n")
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

    private func report(_ started: BackgroundSupervisor.Started, _ services: [Service]) {
        let all = services.map(\.name)
        switch started {
        case .already(let pid): printError("already up (supervisor pid \(pid)): \(all.joined(separator: ", "))")
        case .started(let pid): printError("up (supervisor pid \(pid)): \(all.joined(separator: ", "))")
        case .added(let pid, let added):
            let others = all.filter { !added.contains($0) }
            printError(
                "up (supervisor pid \(pid)): started \(added.joined(separator: ", "))"
                    + (others.isEmpty ? "" : "; already up: \(others.joined(separator: ", "))"))
        }
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
        case .failed(let reason): "did not come up: \(reason)"
        case .stopping: "stopping"
        case .stopped(let status): "stopped (status \(status))"
        }
    }
}
