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
            let command = try workspace.manifest.script(script)
            let entered = try workspace.enter(
                shell: Manifest.defaultShell, realizer: session.realizer(), base: ProcessInfo.processInfo.environment)
            startAutomaticCollection()
            try Subprocess.exec(
                "/bin/bash", ["-c", command + " \"$@\"", script] + arguments, environment: entered.variables)
        }
    }
}
