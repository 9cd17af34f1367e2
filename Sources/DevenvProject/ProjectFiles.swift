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
    /// A flake project's flake.lock; nil when there is none (or the project is no flake).
    public let flakeLockBytes: Data?

    /// Reads the files now.
    public init(_ project: Project) throws {
        guard let manifest = FileManager.default.contents(atPath: project.manifestPath) else {
            throw ProjectError("cannot read \(project.manifestPath)")
        }
        self.init(
            project: project, manifestBytes: manifest,
            lockBytes: FileManager.default.contents(atPath: project.lockPath),
            flakeLockBytes: project.flakeLockPath.flatMap(FileManager.default.contents(atPath:)))
    }

    public init(project: Project, manifestBytes: Data, lockBytes: Data?, flakeLockBytes: Data? = nil) {
        self.project = project
        self.manifestBytes = manifestBytes
        self.lockBytes = lockBytes
        self.flakeLockBytes = flakeLockBytes
    }

    /// The manifest, with messages naming it relative to `workingDirectory`. A flake's inputs
    /// named in `updating` (all when it is empty) move to their newest; without `fetching`, one
    /// the store lacks is an error.
    public func manifest(
        workingDirectory: String = FileManager.default.currentDirectoryPath, updating: Set<String>? = nil,
        fetching: Bool = true
    ) throws -> Manifest {
        let displayName = Project.display(project.manifestPath, from: workingDirectory)
        if project.isNix {
            let chosen = ProcessInfo.processInfo.environment[Manifest.nixpkgsVariable] ?? "builtin"
            guard let nixpkgs = InputSpec(chosen) else {
                throw ManifestError("\(Manifest.nixpkgsVariable)=\(chosen) is not \"builtin\" or \"path:DIR\"")
            }
            return try Manifest(
                nixFile: project.manifestPath, bytes: manifestBytes, displayName: displayName, nixpkgs: nixpkgs,
                cacheDirectory: StoreLocation.fromEnvironment().home + "/nix-eval",
                flake: FlakeLockOptions(lockBytes: flakeLockBytes, updating: updating, fetching: fetching))
        }
        return try Manifest(bytes: manifestBytes, displayName: displayName)
    }

    /// The lock, or nil when there is none.
    public func lock() throws -> Lockfile? { try lockBytes.map(Lockfile.init(bytes:)) }

    /// The files with another lock (the one just written).
    func with(lock: Lockfile) -> ProjectFiles {
        ProjectFiles(
            project: project, manifestBytes: manifestBytes, lockBytes: Data(lock.text.utf8),
            flakeLockBytes: flakeLockBytes)
    }

    /// flake.lock, or nil when there is none.
    func flakeLock() throws -> FlakeLock? {
        try flakeLockBytes.map {
            try FlakeLock(text: String(decoding: $0, as: UTF8.self), file: Manifest.flakeLockFile)
        }
    }

    /// Replaces the file at `path` with `text` at once (a new file renamed over it, never followed
    /// through a link): a lock is never half-written.
    static func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ProjectError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// For `devenv check`: each input flake.lock pins whose source no longer has the pinned NAR
    /// hash (a `path:` directory changed since, a commit or archive that differs), one line each.
    public func flakeInputProblems(store: Store) -> [String] {
        guard let lock = try? flakeLock() else { return [] }
        let fetcher = FlakeInputFetcher(store: store)
        var problems: [String] = []
        var seen: Set<ObjectIdentifier> = []
        func visit(_ node: FlakeLock.Node, path: [String], base: String?) {
            for name in node.inputs.keys.sorted() {
                guard case .node(let child) = node.inputs[name]!, child.isWritten, !child.locked.isEmpty,
                    seen.insert(ObjectIdentifier(child)).inserted
                else { continue }
                let described = "flake input \((path + [name]).joined(separator: "/"))"
                do {
                    if let actual = try fetcher.changedSource(locked: child.locked, base: base),
                        case .string(let pinned)? = child.locked["narHash"]
                    {
                        problems.append("\(described): NAR hash \(actual.sri) differs from flake.lock's \(pinned)")
                    }
                } catch {
                    problems.append("\(described) cannot be fetched: \(error)")
                }
                visit(child, path: path + [name], base: nil)
            }
        }
        visit(lock.root, path: [], base: project.root)
        return problems
    }

    /// Whether `manifest`, read from these files, locked the flake's inputs differently from
    /// flake.lock (or needs one where there is none).
    public func flakeLockIsStale(for manifest: Manifest) -> Bool {
        manifest.flakeLock.map { Data($0.utf8) != flakeLockBytes } ?? false
    }

    /// Writes flake.lock as `manifest` locked it, when that differs; returns the files with it, or
    /// nil when nothing was written.
    func writingFlakeLock(of manifest: Manifest) throws -> ProjectFiles? {
        guard flakeLockIsStale(for: manifest), let text = manifest.flakeLock, let path = project.flakeLockPath else {
            return nil
        }
        try ProjectFiles.write(text, to: path)
        return ProjectFiles(
            project: project, manifestBytes: manifestBytes, lockBytes: lockBytes, flakeLockBytes: Data(text.utf8))
    }
}
