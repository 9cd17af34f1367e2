import ArgumentParser
import DevenvBasics
import DevenvProject
import DevenvServices
import Foundation

struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "Show the services `devenv up` runs: state, pid, uptime, restarts, readiness.")

    @Flag(help: "Print JSON: the supervisor's status (docs/services.md).")
    var json = false

    @OptionGroup var project: ProjectOptions

    func run() throws {
        try withManifestErrors {
            let (directory, _) = try project.serviceDirectory()
            let status = try directory.running()
            if json {
                return try printJSON(PsJSON(version: 1, running: status != nil, supervisor: status))
            }
            guard let status else {
                printError("no services are up")
                return
            }
            let now = Date().timeIntervalSince1970
            let rows =
                [["NAME", "STATE", "PID", "PORT", "FOR", "RESTARTS", "READY BY"]]
                + status.services.map { entry in
                    [
                        entry.name, entry.state.rawValue + (entry.exitStatus.map { " (status \($0))" } ?? ""),
                        entry.pid.map(String.init) ?? "-", entry.port.map(String.init) ?? "-",
                        Format.seconds(now - entry.since), String(entry.restarts),
                        entry.probe ?? "(started)",
                    ]
                }
            let widths = (0..<7).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print(
                    zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(
                        separator: "  "
                    ).trimmingCharacters(in: .whitespaces))
            }
        }
    }

    struct PsJSON: Encodable {
        var version: Int
        var running: Bool
        var supervisor: SupervisorStatus?
    }
}
