import ArgumentParser
import DevenvBasics
import DevenvProject
import DevenvServices
import Foundation

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Show the services' logs (.devenv/state/NAME/log).")

    @Argument(help: "The service (default: every service of devenv.toml, each line behind its name).")
    var name: String?

    @Flag(name: .shortAndLong, help: "Keep showing what they write.")
    var follow = false

    @Option(name: .customShort("n"), help: "Lines to show from the end of each log.")
    var lines = 20

    @OptionGroup var project: ProjectOptions

    func validate() throws {
        guard lines >= 0 else { throw ValidationError("-n must be 0 or more") }
    }

    func run() throws {
        try withManifestErrors {
            let (directory, manifest) = try project.serviceDirectory()
            let names = try name.map { [try manifest.services([$0]).last!.name] } ?? manifest.services.keys.sorted()
            let prefixes = name == nil ? UpCommand.prefixes(names) : [:]
            var followed: [(name: String, log: LogFollower)] = []
            for service in names {
                for line in ServiceLog.lastLines(of: directory.logPath(of: service), lines) {
                    print(prefixes[service, default: ""] + line)
                }
                if follow { followed.append((service, LogFollower(path: directory.logPath(of: service)))) }
            }
            while follow {
                for (service, log) in followed {
                    for line in log.newLines() {
                        FileHandle.standardOutput.write(Data((prefixes[service, default: ""] + line + "\n").utf8))
                    }
                }
                usleep(100_000)
            }
        }
    }
}
