import DevenvBasics
import DevenvBuild
import DevenvCache
import DevenvPackages
import DevenvStore
import Foundation

/// What to do when devenv.lock is missing or does not match devenv.toml.
public enum LockPolicy: Sendable {
    /// Bring it up to date (and say so).
    case update
    /// Use it as it is (`--frozen`); a missing lock is an error.
    case frozen
    /// Fail (`--locked`), as CI wants.
    case locked
}

/// A project opened for work: its files read once, its lock brought to the state a command
/// needs, and environments realized from the lock (each realization recorded as a generation).
public final class Workspace {
    public var project: Project { files.project }
    public let store: Store
    public let manifest: Manifest
    public private(set) var lock: Lockfile
    /// The files as read, with the lock as this workspace wrote it, if it did.
    public private(set) var files: ProjectFiles
    /// What happened to the lock on the way (for the CLI to report), e.g. "updated devenv.lock".
    public private(set) var notes: [String] = []
    /// Whether the caches devenv.toml suggests are used: only once the user allowed the project
    /// as it is (the caller knows; docs/cache.md).
    public var usesSuggestedCaches = false

    public convenience init(
        project: Project, store: Store, policy: LockPolicy, debian: DebianSource? = nil,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws {
        try project.checkStateDirectory()
        try self.init(
            files: ProjectFiles(project), store: store, policy: policy, debian: debian,
            workingDirectory: workingDirectory)
    }

    /// `debian`: where `debian:` requests are locked when the policy lets the lock be updated.
    public init(
        files: ProjectFiles, store: Store, policy: LockPolicy, debian: DebianSource? = nil,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws {
        self.files = files
        self.store = store
        let project = files.project
        manifest = try files.manifest(workingDirectory: workingDirectory)
        if files.flakeLockIsStale(for: manifest) {
            let what =
                files.flakeLockBytes == nil ? "flake.lock is missing" : "flake.lock is out of date with flake.nix"
            switch policy {
            case .locked: throw ProjectError("\(what); run `devenv lock`")
            // Written by no one: the inputs are as flake.nix declares them, for this command.
            case .frozen: break
            case .update:
                self.files = try files.writingFlakeLock(of: manifest) ?? files
                notes.append(
                    files.flakeLockBytes == nil ? "created flake.lock" : "updated flake.lock (flake.nix changed)")
            }
        }
        let existing = try files.lock()?.relocated(to: store.directory)
        switch (existing, policy) {
        case (let lock?, _) where Locker.isCurrent(lock, for: manifest):
            self.lock = lock
        case (let lock?, .frozen):
            self.lock = lock
        case (nil, .frozen):
            throw ProjectError("devenv.lock is missing and --frozen forbids creating it; run `devenv lock`")
        case (_, .locked):
            throw ProjectError(
                existing == nil
                    ? "devenv.lock is missing; run `devenv lock`"
                    : "devenv.lock is out of date with devenv.toml; run `devenv lock`")
        case (_, .update):
            let locker = Locker(store: store, root: project.root, debian: debian)
            let lock = try locker.withNarHashes(locker.lock(manifest, previous: existing))
            try lock.write(to: project.lockPath)
            notes.append(existing == nil ? "created devenv.lock" : "updated devenv.lock (devenv.toml changed)")
            self.lock = lock
            self.files = self.files.with(lock: lock)
        }
    }

    /// Realizes every package of `shell` for this system and the environment joining them
    /// (`wrapped`: see `Environment`); returns the environment and its store path. The lock is
    /// only read: using a project never changes it.
    public func realize(
        shell: String, system: String = CurrentSystem.name, realizer: Realizer, wrapped: Bool = false
    )
        throws -> (environment: Environment, path: String)
    {
        _ = try manifest.shell(shell)
        let environment = try lock.environment(
            shell: shell, system: system, manifest: manifest, store: store.directory, wrapped: wrapped)
        let paths = try self.realizer(from: realizer).realize([environment.derivation])
        if system == CurrentSystem.name {
            try recordGeneration(shell: shell, environment: paths[0])
        }
        return (environment, store.directory.fullPath(of: paths[0]))
    }

    /// `base`, also trying the lock's fallbacks for sources and, when they are used, the caches
    /// devenv.toml suggests.
    public func realizer(from base: Realizer) -> Realizer {
        base.with(fallbacks: lock.fetchFallbacks)
            .with(caches: usesSuggestedCaches ? manifest.suggestedCaches : CacheSources())
    }

    /// Records that `shell`'s environment realized from these files is `environment`: the one
    /// place generations are recorded (the hook's export too goes through here).
    public func recordGeneration(shell: String, environment: StorePath) throws {
        _ = try Generations(root: project.root, store: store).record(
            manifest: String(decoding: files.manifestBytes, as: UTF8.self),
            lock: String(decoding: files.lockBytes ?? Data(), as: UTF8.self), shell: shell, environment: environment)
    }
}
