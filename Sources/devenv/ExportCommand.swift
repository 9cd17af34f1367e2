import ArgumentParser
import DevenvProject
import DevenvShell
import Foundation

/// `bash`, `zsh`, `fish` or `json`.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case bash, zsh, fish, json
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print the code that loads the current directory's project into a shell (what the hook runs).",
        discussion: """
            The hook unloads what it loaded before, then evaluates this. Only allowed projects load; a \
            project that is not realized is realized in the background while the shell keeps its last \
            good environment (config [hook] background = false waits instead). `json` prints the \
            environment in the schema of `print-env --json`.
            """
    )

    @Argument(help: "bash, zsh, fish or json.")
    var format: ExportFormat

    func run() throws {
        let session = try Session()
        if format == .json {
            // What print-env --json prints, for an allowed project only.
            try TrustStore(layout: HookLayout(home: session.store.location.home)).requireAllowed(
                Project.find(from: FileManager.default.currentDirectoryPath))
            try PrintEnvCommand.parse(["--json"]).run()
            return
        }
        let dialect = ExportScript.Dialect(rawValue: format.rawValue)!
        let activation = Activation(
            store: session.store, toolVersion: Devenv.version, background: session.configuration.hookInBackground,
            debian: session.debian(), makeRealizer: { session.realizer() })
        let result = activation.export(
            dialect, directory: FileManager.default.currentDirectoryPath,
            environment: ProcessInfo.processInfo.environment)
        for message in result.messages { printError(message) }
        print(result.code, terminator: "")
    }
}
