import DevenvBasics
import Foundation
import Glibc

/// The content-addressed store: read-only trees under `StoreDirectory`, made valid by rows in the
/// database. Any number of processes may use one store at once.
public final class Store: Sendable {
    public let location: StoreLocation
    public var directory: StoreDirectory { location.storeDirectory }
    let database: StoreDatabase
    let gcLock: Int32

    /// Opens (creating if needed) the store at `location`, and cleans up after processes that
    /// died while adding to it.
    public init(location: StoreLocation = .fromEnvironment()) throws {
        self.location = location
        for path in [location.home, location.storeDirectory.path, location.storeDirectory.path + "/.locks"] {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw StoreError("cannot create '\(path)': \(error.localizedDescription)")
            }
        }
        database = try StoreDatabase(path: location.databasePath, storeDirectory: location.storeDirectory)
        // Shared while this process may add or use paths; garbage collection takes it exclusively.
        gcLock = open(location.home + "/gc.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if gcLock >= 0 { flock(gcLock, LOCK_SH) }
        try finishInterruptedCollection()
        try StagingArea.removeLeftovers(in: directory, isValid: database.isValid, lockPath: lockPath(for:))
        // Lock files of killed processes: one that is free is deleted by taking and releasing it.
        let locks = directory.path + "/.locks"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? [] {
            try PathLock.tryAcquire(locks + "/" + name)?.release()
        }
    }

    deinit {
        if gcLock >= 0 { close(gcLock) }
    }

    /// The lock file that serializes work on one store path across processes.
    func lockPath(for path: StorePath) -> String { "\(directory.path)/.locks/\(path.baseName).lock" }

    /// Copies the file or tree at `source` into the store as a content-addressed (`source:`) path,
    /// like `nix-store --add`. Adding the same content again returns the same path. With
    /// `expected`, the tree's NAR hash must be that one.
    @discardableResult
    public func add(_ source: String, name: String? = nil, expected: Hash? = nil) throws -> StorePath {
        let name = name ?? URL(fileURLWithPath: source).standardizedFileURL.lastPathComponent
        try StorePath.validate(name: name)
        let staging = try StagingArea(in: directory)
        defer { staging.discard() }
        try FileTree.copyNormalized(from: source, to: staging.tree)
        return try addContentAddressed(staging, name: name, recursive: true, expected: expected)
    }

    /// Moves a staged, normalized tree into place and registers it, unless the path is valid
    /// already. A valid path whose tree was deleted by hand is put back when the staged copy has
    /// the recorded NAR hash.
    func commit(_ staging: StagingArea, as info: PathInfo) throws {
        if let placed = try place(staging, as: info, sharingLater: false) { try makeValid([placed]) }
    }

    /// Moves a staged, normalized tree into the store as `info.path`, holding the path's lock
    /// until `makeValid` registers it (no other process sees a half-made path, and a crash in
    /// between leaves a path that cleanup removes). nil when nothing is left to register: the
    /// path is valid already, or was and had only lost its tree, put back now.
    /// `sharingLater`: its files are linked to the shared copies by the next garbage collection,
    /// not now.
    func place(_ staging: StagingArea, as info: PathInfo, sharingLater: Bool) throws -> PlacedPath? {
        let target = directory.fullPath(of: info.path)
        func isPresent() throws -> Bool { try database.isValid(info.path) && SystemCall.lstatIfExists(target) != nil }
        if try isPresent() { return nil }
        let lock = try PathLock.acquire(lockPath(for: info.path))
        var placed: PlacedPath? = nil
        defer { if placed == nil { lock.release() } }
        if try isPresent() { return nil }
        let recorded = try database.pathInfo(info.path)
        if let recorded, recorded.narHash != info.narHash { return nil }
        try FileTree.remove(target)
        try staging.announceTarget(info.path)
        // Moving a directory to another parent rewrites its `..`, which needs write permission.
        let isDirectory = SystemCall.isDirectory(try SystemCall.lstat(staging.tree))
        if isDirectory {
            if !sharingLater { try shareIdenticalFiles(in: staging.tree) }
            try SystemCall.retrying("cannot prepare '\(staging.tree)'") { chmod(staging.tree, 0o755) }
        }
        try SystemCall.retrying("cannot move '\(staging.tree)' to '\(target)'") { rename(staging.tree, target) }
        if isDirectory { try SystemCall.retrying("cannot make '\(target)' read-only") { chmod(target, 0o555) } }
        guard recorded == nil else { return nil }
        placed = PlacedPath(
            info: info, target: target, unshared: sharingLater && isDirectory, lock: lock, staging: staging)
        return placed
    }

    /// Makes `placed` valid in one transaction; their references must be valid or among them.
    public func makeValid(_ placed: [PlacedPath]) throws {
        guard !placed.isEmpty else { return }
        try database.register(placed.map(\.info), unshared: Set(placed.filter(\.unshared).map(\.info.path)))
        for path in placed { path.registered() }
    }

    public func isValid(_ path: StorePath) throws -> Bool { try database.isValid(path) }

    public func pathInfo(_ path: StorePath) throws -> PathInfo? { try database.pathInfo(path) }

    /// Like `pathInfo`, but an invalid path is an error.
    public func validPathInfo(_ path: StorePath) throws -> PathInfo {
        guard let info = try database.pathInfo(path) else {
            throw StoreError("path '\(directory.fullPath(of: path))' is not valid")
        }
        return info
    }

    /// Every valid path, sorted by hash part.
    public func validPaths() throws -> [StorePath] { try database.validPaths() }

    /// The valid path whose hash part is `hashPart`, if any.
    public func validPath(hashPart: String) throws -> StorePath? { try database.validPath(hashPart: hashPart) }

    /// `paths` and everything they reference, transitively; each path comes after everything it
    /// references (the order of `nix-store -qR`).
    public func closure(of paths: [StorePath]) throws -> [PathInfo] {
        var infos: [StorePath: PathInfo] = [:]
        var pending = paths
        while let path = pending.popLast() {
            guard infos[path] == nil else { continue }
            let info = try validPathInfo(path)
            infos[path] = info
            pending.append(contentsOf: info.references)
        }
        var ordered: [PathInfo] = []
        var placed: Set<StorePath> = []
        func place(_ path: StorePath) {
            guard placed.insert(path).inserted, let info = infos[path] else { return }
            for reference in info.references where reference != path { place(reference) }
            ordered.append(info)
        }
        for path in infos.keys.sorted() { place(path) }
        return ordered
    }

    /// The store path that `userPath` names: a store path, a file inside one, or a symlink
    /// (like a `result` link) that leads into the store.
    public func storePath(containing userPath: String) throws -> StorePath {
        let absolute = URL(fileURLWithPath: userPath).standardizedFileURL.path
        for candidate in [absolute, URL(fileURLWithPath: absolute).resolvingSymlinksInPath().path] {
            let prefix = directory.path + "/"
            guard candidate.hasPrefix(prefix) else { continue }
            let base = candidate.dropFirst(prefix.count).prefix { $0 != "/" }
            return try StorePath(baseName: base)
        }
        throw StoreError("'\(userPath)' is not in the store \(directory.path)")
    }
}

extension Store {
    /// A lock held while a path is being built, so two processes never build the same path at
    /// once: the second waits, then finds the path valid.
    public func buildLock(for path: StorePath) throws -> PathLock {
        try PathLock.acquire("\(directory.path)/.locks/\(path.baseName).build.lock")
    }

    /// Where build logs are kept (`$DEVENV_HOME/logs`).
    public var logsDirectory: String { location.home + "/logs" }
}
