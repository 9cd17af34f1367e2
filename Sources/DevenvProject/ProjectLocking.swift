import DevenvBasics
import DevenvBuild
import DevenvPackages
import DevenvStore
import Foundation

/// What `devenv lock` and `devenv update` did to devenv.lock.
public enum LockOutcome: Sendable {
    /// Current for the manifest: not written (locking again never changes a lock).
    case upToDate
    /// Written anew (`created`: there was none), with what changed.
    case written(created: Bool, changes: [String])
}

extension Locker {
    /// Brings the project's lock up to date with its manifest (`devenv lock`), or, with
    /// `updating`, moves those inputs (empty: all) to their newest (`devenv update`). A lock it
    /// writes is complete: every package of this system is realized by `realizer` to record its
    /// NAR hash. A current lock is left as it is, so that locking twice never changes a byte.
    public static func bringUpToDate(
        _ project: Project, store: Store, realizer: Realizer, debian: DebianSource? = nil, updating: Set<String>? = nil
    ) throws -> LockOutcome {
        let files = try ProjectFiles(project)
        let manifest = try files.manifest()
        let previous = try files.lock()?.relocated(to: store.directory)
        let locker = Locker(store: store, root: project.root, debian: debian)
        if updating == nil, let previous, isCurrent(previous, for: manifest) { return .upToDate }
        let lock = try locker.withNarHashes(
            locker.lock(manifest, previous: previous, updating: updating), realizing: realizer)
        try lock.write(to: project.lockPath)
        return .written(
            created: previous == nil,
            changes: LockChanges.describe(from: previous, to: lock, system: CurrentSystem.name))
    }
}
