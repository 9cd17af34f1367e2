import DevenvBasics
import DevenvBuild
import DevenvStore
import Foundation

/// What `devenv lock` and `devenv update` did to devenv.lock.
public enum LockOutcome: Sendable {
    /// Current and complete: not written.
    case upToDate
    /// Current, but it lacked output NAR hashes, which are recorded now.
    case completed
    /// Written anew (`previous` nil: created), with what changed.
    case written(created: Bool, changes: [String])
}

extension Locker {
    /// Brings the project's lock up to date with its manifest and complete (`devenv lock`), or,
    /// with `updating`, moves those inputs (empty: all) to their newest (`devenv update`). The
    /// lock written is complete: every package of this system is realized by `realizer` to
    /// record its NAR hash.
    public static func bringUpToDate(_ project: Project, store: Store, realizer: Realizer, updating: Set<String>? = nil)
        throws -> LockOutcome
    {
        let files = try ProjectFiles(project)
        let manifest = try files.manifest()
        let previous = try files.lock()?.relocated(to: store.directory)
        let locker = Locker(store: store, root: project.root)
        if updating == nil, let previous, isCurrent(previous, for: manifest) {
            guard !isComplete(previous) else { return .upToDate }
            try locker.withNarHashes(previous, realizing: realizer).write(to: project.lockPath)
            return .completed
        }
        let lock = try locker.withNarHashes(
            locker.lock(manifest, previous: previous, updating: updating), realizing: realizer)
        try lock.write(to: project.lockPath)
        return .written(
            created: previous == nil,
            changes: LockChanges.describe(from: previous, to: lock, system: CurrentSystem.name))
    }
}
