import DevenvBasics

/// A tree renamed into the store that is not valid yet: it holds the path's lock and its staging
/// area (whose note names the path, so cleanup removes it if this process dies) until it is
/// registered, with others in one transaction (`Store.makeValid`). Dropped unregistered (the
/// transaction failed), it is removed from the store.
public final class PlacedPath: @unchecked Sendable {
    let info: PathInfo
    let target: String
    /// Its files are not linked to the shared copies yet.
    let unshared: Bool
    private var lock: PathLock?
    private var staging: StagingArea?

    init(info: PathInfo, target: String, unshared: Bool, lock: PathLock, staging: StagingArea) {
        self.info = info
        self.target = target
        self.unshared = unshared
        self.lock = lock
        self.staging = staging
    }

    /// Its row is committed: the lock and the staging area are not needed any more.
    func registered() {
        lock?.release()
        lock = nil
        staging?.discard()
        staging = nil
    }

    deinit {
        if lock != nil { try? FileTree.remove(target) }
        registered()
    }
}
