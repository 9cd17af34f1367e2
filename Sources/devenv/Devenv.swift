import ArgumentParser
import DevenvBasics

@main
struct Devenv: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "devenv",
        abstract: "Reproducible development environments from a content-addressed store.",
        discussion: """
            devenv keeps toolchains in an immutable store that is byte-compatible with Nix's formats. \
            (This is not cachix/devenv, the Nix-based tool of the same name.)
            """,
        version: "devenv \(version) (reproducible development environments; not cachix/devenv)",
        subcommands: [
            InitCommand.self, DevelopCommand.self, ShellCommand.self, RunCommand.self, PrintEnvCommand.self,
            CheckCommand.self, LockCommand.self, UpdateCommand.self, HookCommand.self, AllowCommand.self,
            DenyCommand.self, ReloadCommand.self, StatusCommand.self, ExportCommand.self, BuildCommand.self,
            SearchCommand.self,
            InfoCommand.self, GenerationsCommand.self, RollbackCommand.self, DiffCommand.self, ProfileCommand.self,
            GcCommand.self, StoreCommand.self, HookRealizeCommand.self, UpCommand.self, DownCommand.self,
            PsCommand.self, LogsCommand.self, CacheCommand.self, ContainerCommand.self, EvalCommand.self,
            NixInstantiateCommand.self,
        ]
    )
}

extension Devenv {
    /// Runs the command, then (for commands that return) the daily automatic garbage collection
    /// when config.toml asks for it.
    static func main() {
        CurrentExecutable.returnLargeAllocationsToTheSystem()
        do {
            var command = try parseAsRoot()
            try command.run()
            if !(command is GcCommand) { startAutomaticCollection() }
        } catch {
            exit(withError: error)
        }
    }
}
