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
            guard let command = workspace.manifest.scripts[script] else {
                let known = workspace.manifest.scripts.keys.sorted().joined(separator: ", ")
                throw ProjectError(
                    "devenv.toml has no script '\(script)'" + (known.isEmpty ? "" : " (it has: \(known))"))
            }
            let (environment, path) = try workspace.realize(
                shell: Manifest.defaultShell, realizer: session.realizer())
            // The environment stays rooted for as long as what this becomes runs.
            try session.store.addTemporaryRoot(try session.store.directory.storePath(parsing: path))
            let variables = try workspace.variables(
                shell: Manifest.defaultShell, environment: environment, path: path,
                base: ProcessInfo.processInfo.environment,
                pure: false)
            startAutomaticCollection()
            try Subprocess.exec("/bin/bash", ["-c", command + " \"$@\"", script] + arguments, environment: variables)
        }
    }
}
