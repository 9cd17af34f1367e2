import ArgumentParser
import DevenvProject
import DevenvStore
import Foundation

/// `-C DIR` and the lock policy flags of the commands that work in a project.
struct ProjectOptions: ParsableArguments {
    @Option(
        name: .customShort("C"),
        help: "Run as if started in DIR (like git -C): its project, and commands run there.")
    var directory: String?

    @Flag(help: "Use devenv.lock as it is, even if devenv.toml changed.")
    var frozen = false

    @Flag(help: "Fail if devenv.lock is missing or out of date instead of updating it.")
    var locked = false

    func validate() throws {
        if frozen && locked { throw ValidationError("--frozen and --locked exclude each other") }
        if let directory, !FileManager.default.changeCurrentDirectoryPath(directory) {
            throw ValidationError("cannot enter '\(directory)'")
        }
    }

    var policy: LockPolicy { frozen ? .frozen : locked ? .locked : .update }

    /// The directory commands start from (DIR of `-C`, entered by `validate`).
    var workingDirectory: String { FileManager.default.currentDirectoryPath }

    /// Opens the project and brings its lock to the state the policy allows, reporting what changed.
    func workspace(_ session: Session) throws -> Workspace {
        let project = try Project.find(from: workingDirectory)
        let workspace = try Workspace(project: project, store: session.store, policy: policy)
        for note in workspace.notes { printError(note) }
        return workspace
    }
}

/// Runs a command body, turning mistakes in devenv.toml into exit status 2 (other errors exit 1).
func withManifestErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ManifestError {
        printError("Error: \(error.description)")
        throw ExitCode(2)
    }
}
