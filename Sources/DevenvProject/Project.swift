import DevenvBasics
import DevenvPackages
import DevenvStore
import Foundation
import Glibc

/// A project directory: the nearest one upward that holds a `devenv.toml`, or else a Nix file
/// (`flake.nix`, `shell.nix`, `default.nix`) that describes it instead.
public struct Project: Sendable {
    public let root: String
    /// The file the project's manifest comes from: devenv.toml, or the Nix file.
    public let manifestPath: String
    /// Whether the manifest is a Nix file, evaluated (see `Manifest(nixFile:…)`).
    public var isNix: Bool { manifestPath.hasSuffix(".nix") }
    public var lockPath: String { root + "/devenv.lock" }
    /// Where a flake project's inputs are locked; nil for other projects.
    public var flakeLockPath: String? {
        manifestPath.hasSuffix("/flake.nix") ? root + "/" + Manifest.flakeLockFile : nil
    }
    /// Per-project state of the project's tools (gitignored; the templates point caches there).
    /// devenv's own per-project state lives under `$DEVENV_HOME`, where a cloned repository
    /// cannot plant links.
    public var stateDirectory: String { root + "/.devenv" }

    /// The project at `root`: its devenv.toml, else its first Nix file, else (none yet) devenv.toml.
    public init(root: String) {
        self.root = root
        let name = Project.manifestNames.first { FileManager.default.fileExists(atPath: root + "/" + $0) }
        manifestPath = root + "/" + (name ?? "devenv.toml")
    }

    /// The project at `root` whose manifest is the file `manifest` there.
    init(root: String, manifest: String) {
        self.root = root
        manifestPath = root + "/" + manifest
    }

    /// The files that make a directory a project, in the order one is chosen.
    static let manifestNames = ["devenv.toml"] + Manifest.nixFiles

    /// The project containing `directory` (itself or the nearest parent with a devenv.toml or,
    /// failing that, one of the Nix files).
    public static func find(from directory: String) throws -> Project {
        var current = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            for name in manifestNames
            where FileManager.default.fileExists(atPath: current.appendingPathComponent(name).path) {
                return Project(root: current.path, manifest: name)
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path {
                throw ProjectError(
                    "no devenv.toml (or flake.nix, shell.nix, default.nix) in \(directory) or any parent directory (run `devenv init` to start one)"
                )
            }
            current = parent
        }
    }

    /// The manifest, with messages naming it relative to `workingDirectory`; without `fetching`,
    /// a flake input the store lacks is an error instead of a download (`status`, completions).
    public func manifest(workingDirectory: String = FileManager.default.currentDirectoryPath, fetching: Bool = true)
        throws -> Manifest
    {
        try ProjectFiles(self).manifest(workingDirectory: workingDirectory, fetching: fetching)
    }

    public func lock() throws -> Lockfile? { try Lockfile.load(from: lockPath) }

    /// Refuses a `.devenv` that a cloned repository may have planted: a symbolic link (the
    /// environment's caches would be written wherever it points) or something not a directory
    /// of this user. A missing one is fine: the tools create it.
    public func checkStateDirectory() throws {
        guard let info = try SystemCall.lstatIfExists(stateDirectory) else { return }
        if info.st_mode & S_IFMT == S_IFLNK {
            throw ProjectError(
                "\(stateDirectory) is a symbolic link; devenv does not use a project whose .devenv points elsewhere (remove it)"
            )
        }
        guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else {
            throw ProjectError(
                "\(stateDirectory) is not a directory of yours; devenv does not use a project with it (remove it)")
        }
    }

    /// `path` relative to `directory` when it lies inside it or one level up, else absolute.
    static func display(_ path: String, from directory: String) -> String {
        let base = URL(fileURLWithPath: directory).standardizedFileURL.path
        if path.hasPrefix(base + "/") { return String(path.dropFirst(base.count + 1)) }
        return path
    }
}
