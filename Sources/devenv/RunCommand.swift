import ArgumentParser
import DevenvBasics
import DevenvBuild
import DevenvProject
import DevenvShell
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a [scripts] entry of devenv.toml in the default shell's environment.",
        discussion: "ARGS are appended to the script's command; the exit status is the script's."
    )

    @Argument(help: "The script's name.", completion: Completions.scripts)
    var script: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the script.")
    var arguments: [String] = []

    @OptionGroup var project: ProjectOptions

    func run() throws {
        try withManifestErrors {
            let session = try Session()
            let workspace = try project.workspace(session)
            let command = try workspace.scriptCommand(script, arguments: arguments)
            let entered = try workspace.enter(
                shell: Manifest.defaultShell, realizer: session.realizer(), base: ProcessInfo.processInfo.environment)
            startAutomaticCollection()
            try Subprocess.exec(command[0], Array(command.dropFirst()), environment: entered.variables)
        }
    }
}
