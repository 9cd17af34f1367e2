import DevenvBasics
import DevenvBuild
import DevenvPackages
import DevenvStore
import Foundation

/// What `devenv lock` and `devenv update` did to devenv.lock (and a flake project's flake.lock).
public struct LockOutcome: Sendable {
    public enum File: Sendable, Equatable {
        /// Current: not written (locking again never changes a lock).
        case upToDate
        /// Written anew (`created`: there was none).
        case written(created: Bool)
    }

    public var lock: File
    /// Nil for a project without flake.lock (none written, none needed).
    public var flakeLock: File?
    /// What changed, one line each.
    public var changes: [String]
}

extension Locker {
    /// Brings the project's lock up to date with its manifest (`devenv lock`), or, with
    /// `updating`, moves those inputs (empty: all) to their newest (`devenv update`); a flake's
    /// inputs are locked in flake.lock the same way. A lock it writes is complete: every package
    /// of this system is realized by `realizer` to record its NAR hash. A current lock is left as
    /// it is, so that locking twice never changes a byte.
    public static func bringUpToDate(
        _ project: Project, store: Store, realizer: Realizer, debian: DebianSource? = nil, updating: Set<String>? = nil
    ) throws -> LockOutcome {
        let read = try ProjectFiles(project)
        let isFlake = project.flakeLockPath != nil
        let manifest = try read.manifest(updating: isFlake ? updating : nil)
        var outcome = LockOutcome(lock: .upToDate, changes: [])
        if let written = try read.writingFlakeLock(of: manifest) {
            outcome.flakeLock = .written(created: read.flakeLockBytes == nil)
            outcome.changes += try LockChanges.describe(from: read.flakeLock(), to: written.flakeLock())
        } else if manifest.flakeLock != nil {
            outcome.flakeLock = .upToDate
        }
        // A flake's inputs are not devenv.lock's: naming them moves nothing there.
        let packageUpdates = isFlake ? updating.flatMap { $0.isEmpty ? $0 : nil } : updating
        let previous = try read.lock()?.relocated(to: store.directory)
        let locker = Locker(store: store, root: project.root, debian: debian)
        if packageUpdates == nil, let previous, isCurrent(previous, for: manifest) { return outcome }
        let lock = try locker.withNarHashes(
            locker.lock(manifest, previous: previous, updating: packageUpdates), realizing: realizer)
        try lock.write(to: project.lockPath)
        outcome.lock = .written(created: previous == nil)
        outcome.changes += LockChanges.describe(from: previous, to: lock, system: CurrentSystem.name)
        return outcome
    }
}
