import ArgumentParser
import DevenvBasics
import DevenvBuild
import DevenvProject
import DevenvShell
import DevenvStore
import Foundation

struct DevelopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "develop",
        abstract: "Enter the project's environment: start your shell in it, or run one command.",
        discussion: """
            Finds devenv.toml (or else a flake.nix, shell.nix or default.nix, evaluated with devenv's \
            own package set as nixpkgs) in the current directory or a parent, brings devenv.lock up to \
            date if the manifest changed (and says so), realizes the packages with progress, then starts $SHELL \
            (bash, zsh or fish) or runs the command given with -c, exiting with its status. The \
            environment: PATH with the packages' programs first, the packages' variables, DEVENV_ROOT, \
            DEVENV_SHELL, the manifest's env, then whatever the shell's hook exports.
            """
    )

    @Option(
        name: .customLong("shell"), help: "The shell of devenv.toml to enter ([shells.NAME]; default: [shell]).",
        completion: Completions.shells)
    var shellName = Manifest.defaultShell

    @Option(
        name: [.customShort("c"), .customLong("command")], parsing: .remaining,
        help: "Run CMD ARGS... in the environment instead of a shell.")
    var command: [String] = []

    @Flag(
        help:
            "Start from a minimal environment (HOME, USER, TERM, LANG, ...; PATH only /usr/bin:/bin after the packages)."
    )
    var pure = false

    @OptionGroup var project: ProjectOptions

    func run() throws {
        try withManifestErrors {
            let session = try Session()
            let workspace = try project.workspace(session)
            let entered = try workspace.enter(
                shell: shellName, realizer: session.realizer(), base: ProcessInfo.processInfo.environment, pure: pure)
            startAutomaticCollection()
            if let executable = command.first {
                try Subprocess.exec(executable, Array(command.dropFirst()), environment: entered.variables)
            }
            try enterShell(
                environment: entered.variables, pathPrefix: [entered.path + "/bin"],
                aliases: try workspace.manifest.shell(shellName).orderedAliases, session: session)
        }
    }
}

/// Starts the user's shell in an environment (saying so when `$SHELL` is not one devenv can use).
func enterShell(
    environment: [String: String], pathPrefix: [String], aliases: [(name: String, value: String)], session: Session
) throws -> Never {
    let shell = InteractiveShell(environment: environment)
    if let note = shell.fallbackNote { printError("devenv: \(note)") }
    try shell.exec(
        environment: environment, pathPrefix: pathPrefix, aliases: aliases, home: session.store.location.home)
}
