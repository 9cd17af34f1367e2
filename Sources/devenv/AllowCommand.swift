import ArgumentParser
import DevenvCache
import DevenvProject
import DevenvShell
import DevenvStore
import Foundation

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
