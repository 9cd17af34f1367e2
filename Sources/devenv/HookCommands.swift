import ArgumentParser
import DevenvBasics
import DevenvCache
import DevenvPackages
import DevenvProject
import DevenvShell
import DevenvStore
import Foundation

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Print the shell hook that loads projects on cd (put it in your shell's rc file).",
        discussion: """
            bash: eval "$(devenv hook bash)" at the end of ~/.bashrc; zsh: eval "$(devenv hook zsh)" at the \
            end of ~/.zshrc; fish: devenv hook fish | source in ~/.config/fish/config.fish. A prompt where \
            nothing changed starts no process; only allowed projects load (devenv allow).
            """
    )

    @Argument(help: "bash, zsh or fish.")
    var shell: ExportScript.Dialect

    func run() throws {
        let layout = HookLayout(home: StoreLocation.fromEnvironment().home)
        try HookScripts.prepare(layout)
        print(
            HookScripts.script(shell, devenv: CurrentExecutable.path, layout: layout, version: Devenv.version),
            terminator: ""
        )
    }
}

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

/// The background realization the hook starts (not for people).
struct HookRealizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hook-realize", shouldDisplay: false)

    @Argument var dialect: ExportScript.Dialect
    @Argument var root: String

    func run() throws {
        let session = try Session()
        let activation = Activation(
            store: session.store, toolVersion: Devenv.version, background: false, debian: session.debian(),
            makeRealizer: { session.realizer() })
        try activation.realizeForHook(Project(root: root), dialect: dialect, base: ProcessInfo.processInfo.environment)
    }
}

struct AllowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allow",
        abstract: "Let the shell hook load this project, as its devenv.toml and devenv.lock are now.",
        discussion: """
            The allow is bound to the directory and to the content of devenv.toml and devenv.lock: after an \
            edit (a git pull, say) the hook blocks the project again until the next allow. Other git \
            worktrees of the repository with the same content are allowed too. Binary caches and keys \
            that devenv.toml suggests ([cache]) are shown, and used for the project from then on.
            """
    )

    @Argument(help: "The project directory (default: the project of the current directory).")
    var directory: String?

    func run() throws {
        let project = try Project.find(from: directory ?? FileManager.default.currentDirectoryPath)
        let files = try ProjectFiles(project)
        try TrustStore(layout: HookLayout(home: StoreLocation.fromEnvironment().home)).allow(files)
        print("allowed \(project.root)")
        let suggested = (try? files.manifest())?.suggestedCaches ?? CacheSources()
        if !suggested.isEmpty {
            print("its devenv.toml suggests, now used for it:")
            for line in suggested.description { print("  " + line) }
        }
    }
}

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make hooked shells load the project again, retrying a failed background realization.",
        discussion: """
            A background realization that failed is reported once and not tried again until \
            devenv.toml or devenv.lock changes; after fixing its cause elsewhere (a network, a disk), \
            this tries again at the next prompt of every hooked shell.
            """
    )

    @Argument(help: "The project directory (default: the project of the current directory).")
    var directory: String?

    func run() throws {
        let project = try Project.find(from: directory ?? FileManager.default.currentDirectoryPath)
        try Activation.retry(root: project.root, layout: HookLayout(home: StoreLocation.fromEnvironment().home))
        print("hooked shells load \(project.root) again at their next prompt")
    }
}

struct DenyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny",
        abstract: "Stop the shell hook from loading this project (revokes devenv allow)."
    )

    @Argument(help: "The project directory (default: the project of the current directory).")
    var directory: String?

    func run() throws {
        let project = try Project.find(from: directory ?? FileManager.default.currentDirectoryPath)
        try TrustStore(layout: HookLayout(home: StoreLocation.fromEnvironment().home)).deny(root: project.root)
        print("denied \(project.root)")
    }
}
