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
            // Written as they come, unbuffered: print would hold the last lines back in a pipe
            // or file while -f waits for more.
            func show(_ service: String, _ lines: [String]) {
                guard !lines.isEmpty else { return }
                let text = lines.map { prefixes[service, default: ""] + $0 + "\n" }.joined()
                StandardStream.output.write(text)
            }
            var followed: [(name: String, log: LogFollower)] = []
            for service in names {
                show(service, ServiceLog.lastLines(of: directory.logPath(of: service), lines))
                if follow { followed.append((service, LogFollower(path: directory.logPath(of: service)))) }
            }
            while follow {
                for (service, log) in followed { show(service, log.newLines()) }
                usleep(100_000)
            }
        }
    }
}
