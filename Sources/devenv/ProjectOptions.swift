import ArgumentParser
import DevenvProject
import DevenvShell
import DevenvStore
import Foundation

/// `-C DIR`, the same for every command that has it: run as if started in DIR (like `git -C`):
/// its project, and commands run there.
struct DirectoryOption: ParsableArguments {
    @Option(
        name: .customShort("C"),
        help: ArgumentHelp(
            "Run as if started in DIR (like git -C): its project, and commands run there.", valueName: "DIR"))
    var directory: String?

    func validate() throws {
        if let directory, !FileManager.default.changeCurrentDirectoryPath(directory) {
            throw ValidationError("cannot enter '\(directory)'")
        }
    }

    /// The directory commands start from (DIR of `-C`, entered by `validate`).
    var path: String { FileManager.default.currentDirectoryPath }

    /// The project of that directory.
    func project() throws -> Project { try Project.find(from: path) }
}

/// `-C DIR` and the lock policy flags of the commands that enter a project's environment.
struct ProjectOptions: ParsableArguments {
    @OptionGroup var directory: DirectoryOption

    @Flag(help: "Use devenv.lock as it is, even if devenv.toml changed.")
    var frozen = false

    @Flag(help: "Fail if devenv.lock is missing or out of date instead of updating it.")
    var locked = false

    func validate() throws {
        if frozen && locked { throw ValidationError("--frozen and --locked exclude each other") }
    }

    var policy: LockPolicy { frozen ? .frozen : locked ? .locked : .update }

    /// Opens the project and brings its lock to the state the policy allows, reporting what changed.
    func workspace(_ session: Session) throws -> Workspace {
        let workspace = try Workspace(
            project: try directory.project(), store: session.store, policy: policy, debian: session.debian())
        for note in workspace.notes { printError(note) }
        if let note = TrustStore(layout: HookLayout(home: session.store.location.home)).useSuggestedCaches(
            in: workspace)
        {
            printError(note)
        }
        return workspace
    }
}
