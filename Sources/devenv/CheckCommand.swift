import ArgumentParser
import DevenvProject
import DevenvServices
import DevenvShell
import Foundation
import Glibc

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify the project as CI does: manifest, lock, inputs, packages, then every [checks] entry.",
        discussion: """
            Never writes devenv.toml or devenv.lock. Prints one line per problem and, for each check \
            (run in the default shell from the project root), its name, time and status; exits non-zero \
            when anything failed. With CI=true (or without a terminal) there are no colors.
            """
    )

    @Flag(help: "Print a machine-readable report on stdout (the checks' own output goes to stderr).")
    var json = false

    @OptionGroup var directory: DirectoryOption

    struct ReportJSON: Encodable {
        struct Check: Encodable {
            var name: String
            var command: String
            var status: String
            var exitStatus: Int32
            var seconds: Double
        }
        var version = 1
        var passed: Bool
        var problems: [String]
        var checks: [Check]
    }

    func run() throws {
        let session = try Session()
        let project = try directory.project()
        let observer = CheckPrinter(quiet: json)
        let report = ProjectCheck(
            store: session.store, realizer: session.realizer(), observer: observer, output: json ? 2 : nil,
            startServices: { names, workspace in
                // What is not up yet is started (in the running supervisor, or a new one in the
                // background) and stopped again after the checks; what was up is left running.
                let services = try workspace.manifest.services(names)
                try workspace.project.checkStateDirectory()
                let directory = ServiceDirectory(workspace.project.stateDirectory + "/state")
                try directory.prepare()
                let started = try BackgroundSupervisor.start(
                    services, names: names, directory: directory, root: workspace.project.root)
                let pid: pid_t
                let startedNames: [String]
                switch started {
                case .already: return {}
                case .started(let supervisor): (pid, startedNames) = (supervisor, services.map(\.name))
                case .added(let supervisor, let added): (pid, startedNames) = (supervisor, added)
                }
                if !json {
                    printError(
                        "services up for the checks (supervisor pid \(pid)): \(startedNames.joined(separator: ", "))")
                }
                let grace = services.map(\.stopGrace).reduce(10, +)
                return {
                    guard let status = try? directory.running(), status.pid == pid else { return }
                    if case .started = started {
                        _ = try? directory.stop([], of: status, timeout: grace)
                    } else {
                        _ = try? directory.stop(startedNames, of: status, timeout: grace)
                    }
                }
            }
        )
        .run(project)
        if json {
            try printJSON(
                ReportJSON(
                    passed: report.passed, problems: report.problems,
                    checks: report.checks.map {
                        .init(
                            name: $0.name, command: $0.command, status: $0.passed ? "passed" : "failed",
                            exitStatus: $0.exitStatus,
                            seconds: ($0.seconds * 1000).rounded() / 1000)
                    }))
        } else {
            let failed = report.problems.count + report.checks.filter { !$0.passed }.count
            printError(report.passed ? "check passed" : "check failed: \(failed) problem\(failed == 1 ? "" : "s")")
        }
        if report.manifestInvalid { throw ExitCode(2) }
        if !report.passed { throw ExitCode.failure }
    }
}

/// Prints problems and check results on stderr, in color on a terminal unless CI=true.
struct CheckPrinter: CheckObserver {
    let quiet: Bool
    let colors = isatty(2) == 1 && ProcessInfo.processInfo.environment["CI"] != "true"

    func problem(_ message: String) { if !quiet { printError(message) } }

    func note(_ message: String) { if !quiet { printError(message) } }

    func checkStarted(_ name: String) { if !quiet { printError("running \(name)") } }

    func checkFinished(_ run: CheckReport.CheckRun) {
        guard !quiet else { return }
        let seconds = String(format: "%.2f s", run.seconds)
        let (word, color) = run.passed ? ("PASS", "32") : ("FAIL", "31")
        let label = colors ? "\u{1B}[\(color)m\(word)\u{1B}[0m" : word
        printError(
            run.passed ? " \(run.name) (\(seconds))" : " \(run.name): exit status \(run.exitStatus) (\(seconds))",
            after: label)
    }
}
