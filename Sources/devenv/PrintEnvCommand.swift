import ArgumentParser
import DevenvPackages
import DevenvProject
import DevenvShell
import Foundation

extension ExportScript.Dialect: ExpressibleByArgument {}

struct PrintEnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print-env",
        abstract: "Print the project's environment as data (for editors, IDEs and agents) or as shell code.",
        discussion: """
            Realizes the environment like `develop`, then prints the variables it sets or changes: as \
            `export` lines for bash (the default) or zsh, as `set -gx` lines for fish, or with --json as \
            an object whose schema docs/environment.md documents.
            """
    )

    @Flag(help: "Print JSON (schema: docs/environment.md).")
    var json = false

    @Option(name: .customLong("shell"), help: "The dialect of the shell code: bash, zsh or fish.")
    var dialect: ExportScript.Dialect = .bash

    @Option(
        name: .customLong("shell-name"), help: "The shell of devenv.toml ([shells.NAME]; default: [shell]).",
        completion: Completions.shells)
    var shellName = Manifest.defaultShell

    @OptionGroup var project: ProjectOptions

    struct EnvironmentJSON: Encodable {
        struct Package: Encodable {
            var name: String
            var version: String
            var outPath: String
        }
        var version = 1
        var project: String
        var shell: String
        var system: String
        var environment: String
        var packages: [Package]
        var variables: [String: String]
        var unset: [String]
    }

    func run() throws {
        try withManifestErrors {
            let session = try Session()
            let workspace = try project.workspace(session)
            let entered = try workspace.enter(
                shell: shellName, realizer: session.realizer(), base: ProcessInfo.processInfo.environment,
                rooted: false)
            let current = ProcessInfo.processInfo.environment
            if json {
                let changes = entered.changes(from: current)
                try printJSON(
                    EnvironmentJSON(
                        project: workspace.project.root, shell: shellName, system: entered.environment.system,
                        environment: entered.path,
                        packages: entered.environment.packages.map {
                            .init(name: $0.name, version: $0.version, outPath: $0.outPath)
                        },
                        variables: changes.set, unset: changes.unset))
            } else {
                print(ExportScript.render(from: current, to: entered.variables, dialect: dialect), terminator: "")
            }
        }
    }
}
