import DevenvStore
import Foundation

/// A project's devenv.toml and devenv.lock read once, as they were at one moment: the bytes
/// (what trust and generations are bound to) and what they parse to, so that one command looks
/// at one version of them however many times it asks.
public struct ProjectFiles: Sendable {
    public let project: Project
    public let manifestBytes: Data
    /// Nil when there is no devenv.lock.
    public let lockBytes: Data?

    /// Reads the files now.
    public init(_ project: Project) throws {
        guard let manifest = FileManager.default.contents(atPath: project.manifestPath) else {
            throw ProjectError("cannot read \(project.manifestPath)")
        }
        self.init(
            project: project, manifestBytes: manifest, lockBytes: FileManager.default.contents(atPath: project.lockPath)
        )
    }

    public init(project: Project, manifestBytes: Data, lockBytes: Data?) {
        self.project = project
        self.manifestBytes = manifestBytes
        self.lockBytes = lockBytes
    }

    /// The manifest, with messages naming it relative to `workingDirectory`.
    public func manifest(workingDirectory: String = FileManager.default.currentDirectoryPath) throws -> Manifest {
        let displayName = Project.display(project.manifestPath, from: workingDirectory)
        if project.isNix {
            let chosen = ProcessInfo.processInfo.environment[Manifest.nixpkgsVariable] ?? "builtin"
            guard let nixpkgs = InputSpec(chosen) else {
                throw ManifestError("\(Manifest.nixpkgsVariable)=\(chosen) is not \"builtin\" or \"path:DIR\"")
            }
            return try Manifest(
                nixFile: project.manifestPath, bytes: manifestBytes, displayName: displayName, nixpkgs: nixpkgs,
                cacheDirectory: StoreLocation.fromEnvironment().home + "/nix-eval")
        }
        return try Manifest(bytes: manifestBytes, displayName: displayName)
    }

    /// The lock, or nil when there is none.
    public func lock() throws -> Lockfile? { try lockBytes.map(Lockfile.init(bytes:)) }

    /// The files with another lock (the one just written).
    func with(lock: Lockfile) -> ProjectFiles {
        ProjectFiles(project: project, manifestBytes: manifestBytes, lockBytes: Data(lock.text.utf8))
    }
}
