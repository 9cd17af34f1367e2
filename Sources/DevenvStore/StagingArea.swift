import DevenvBasics
import Foundation
import Glibc

/// A private directory inside the store (`<store>/.tmp/<id>/`) where a new tree is assembled
/// before it is renamed into place, so it is on the store's file system. Its owner holds
/// `<store>/.tmp/<id>.lock` for as long as it lives: a staging area whose lock is free belongs to
/// a process that died, and `removeLeftovers` cleans it up.
public final class StagingArea {
    public let directory: String
    private var ownerLock: PathLock?

    /// Where the new tree goes.
    public var tree: String { directory + "/tree" }
    /// Names the store path the tree is about to become, for cleanup after a crash mid-rename.
    private var targetFile: String { directory + "/target" }

    init(in store: StoreDirectory) throws {
        let parent = StagingArea.parent(of: store)
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let id = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        directory = parent + "/" + id
        ownerLock = try PathLock.acquire(directory + ".lock")
        try SystemCall.retrying("cannot create staging directory '\(directory)'") { mkdir(directory, 0o700) }
    }

    deinit { discard() }

    /// Records that `path` is about to appear in the store from this staging area, so cleanup
    /// after a crash removes it unless it became valid.
    /// Not synced to disk (Foundation's `Data.write` would, a journal commit per path): it is
    /// for a process that dies, whose writes the kernel still has; after a power loss, a path left
    /// on disk but not valid is removed when it is next added.
    public func announceTarget(_ path: StorePath) throws {
        try OwnFiles.replace(targetFile, with: Array(path.baseName.utf8))
    }

    /// Removes the staging directory and releases it.
    public func discard() {
        guard let lock = ownerLock else { return }
        try? FileTree.remove(directory)
        lock.release()
        ownerLock = nil
    }

    static func parent(of store: StoreDirectory) -> String { store.path + "/.tmp" }

    /// Cleans up after processes that died while adding: their staging directories, and a path
    /// renamed into the store but never registered.
    static func removeLeftovers(
        in store: StoreDirectory, isValid: (StorePath) throws -> Bool, lockPath: (StorePath) -> String
    )
        throws
    {
        let parent = parent(of: store)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasSuffix(".lock") {
            guard let lock = try PathLock.tryAcquire(parent + "/" + name) else { continue }  // owner alive
            defer { lock.release() }
            let directory = parent + "/" + name.dropLast(".lock".count)
            if let target = try? String(contentsOfFile: directory + "/target", encoding: .utf8),
                let path = try? StorePath(baseName: target)
            {
                let pathLock = try PathLock.acquire(lockPath(path))
                if try !isValid(path) { try FileTree.remove(store.fullPath(of: path)) }
                pathLock.release()
            }
            try FileTree.remove(directory)
        }
    }
}
