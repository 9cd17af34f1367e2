import ArgumentParser
import DevenvBasics
import Glibc

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
        CurrentExecutable.tuneAllocator()
        do {
            let arguments = Array(CommandLine.arguments.dropFirst())
            var command = try parsedDirectly(arguments) ?? parseAsRoot(arguments)
            try command.run()
            if !(command is GcCommand) { startAutomaticCollection() }
        } catch {
            // Help and the version go to standard output as swift-argument-parser prints them;
            // an error is printed here, what it quotes from files and servers shown escaped.
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { printError(message) }
            Glibc.exit(code.rawValue)
        }
    }

    /// The command the first argument names, parsed as the root of its own tree. The whole tree
    /// costs every run a few milliseconds: swift-argument-parser reflects on every command's
    /// arguments to look for a completion-script request. Nil when help, a version or a
    /// completion script may be asked for, or the parse fails (a usage error, no such command),
    /// for `parseAsRoot` to do it again and answer, with the whole command's name.
    static func parsedDirectly(_ arguments: [String]) -> (any ParsableCommand)? {
        guard let name = arguments.first,
            let command = configuration.subcommands.first(where: { $0._commandName == name }),
            !arguments.contains(where: { builtIn.contains(String($0.prefix { $0 != "=" })) })
        else { return nil }
        return try? command.parseAsRoot(Array(arguments.dropFirst()))
    }

    /// swift-argument-parser's own flags, answered by `parseAsRoot`.
    private static let builtIn: Set = [
        "help", "-h", "-help", "--help", "--version", "--generate-completion-script", "--experimental-dump-help",
    ]
}
