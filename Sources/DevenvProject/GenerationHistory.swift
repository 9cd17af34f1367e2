import DevenvBasics
import DevenvStore

/// A generation as `generations` lists it: what it holds and what changed since the one before.
public struct GenerationSummary: Sendable {
    public var generation: Generation
    public var current: Bool
    public var packages: [LockedPackage]
    /// Lock changes (`go_1_24 1.24.3 → 1.24.11`) and manifest changes the lock does not show
    /// (`changed shell.env.MODE`).
    public var changes: [String]
}

/// What changed between two generations, as `diff` shows it (like `nix store diff-closures`).
public struct GenerationDiff: Sendable {
    public enum PackageChange: Sendable {
        case added(LockedPackage, closureSize: UInt64?)
        case removed(LockedPackage, closureSize: UInt64?)
        case changed(from: LockedPackage, to: LockedPackage, closureSizes: (UInt64?, UInt64?))
    }

    public var from: Generation
    public var to: Generation
    /// By package name.
    public var packages: [PackageChange]
    /// Manifest keys the lock does not show.
    public var manifestChanges: [String]
    /// The closure size of the default shell's environment before and after (nil: not in the store).
    public var closureSizes: (UInt64?, UInt64?)
}

extension Generations {
    /// Every generation with what changed since the one before, oldest first.
    public func history(system: String = CurrentSystem.name) -> [GenerationSummary] {
        let current = currentNumber
        var previous: Lockfile?
        var previousManifest: String?
        return all().map { generation in
            let lock = try? Lockfile(parsing: generation.lock)
            var changes = lock.map { LockChanges.describe(from: previous, to: $0, system: system) } ?? []
            // What the lock does not show: variables, hook, aliases, checks, scripts.
            changes += (previousManifest.map { ManifestChanges.beyondTheLock(from: $0, to: generation.manifest) } ?? [])
                .map { "changed \($0)" }
            previous = lock
            previousManifest = generation.manifest
            return GenerationSummary(
                generation: generation, current: generation.number == current,
                packages: generation.packages(system: system), changes: changes)
        }
    }

    /// The two generations `diff` compares for `numbers`: none, the previous and the current;
    /// one, it and the current; two, those.
    public func pair(_ numbers: [Int]) throws -> (Generation, Generation) {
        let list = all()
        guard let current = current() else { throw ProjectError("\(root) has no generations yet") }
        func find(_ number: Int) throws -> Generation {
            guard let found = list.first(where: { $0.number == number }) else {
                throw ProjectError("\(root) has no generation \(number)")
            }
            return found
        }
        switch numbers.count {
        case 0:
            guard let index = list.firstIndex(of: current), index > 0 else {
                throw ProjectError("generation \(current.number) is the only one")
            }
            return (list[index - 1], current)
        case 1: return (try find(numbers[0]), current)
        default: return (try find(numbers[0]), try find(numbers[1]))
        }
    }

    /// What changed from `a` to `b`: packages with versions, paths and closure sizes, manifest
    /// keys beyond the lock, and the environment's closure size.
    public func diff(_ a: Generation, _ b: Generation, system: String = CurrentSystem.name) -> GenerationDiff {
        let before = Dictionary(
            a.packages(system: system).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(
            b.packages(system: system).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var packages: [GenerationDiff.PackageChange] = []
        for name in Set(before.keys).union(after.keys).sorted() {
            switch (before[name], after[name]) {
            case (nil, let added?): packages.append(.added(added, closureSize: closureSize(added.outPath)))
            case (let removed?, nil): packages.append(.removed(removed, closureSize: closureSize(removed.outPath)))
            case (let old?, let new?) where old.outPath != new.outPath:
                packages.append(
                    .changed(from: old, to: new, closureSizes: (closureSize(old.outPath), closureSize(new.outPath))))
            default: break
            }
        }
        return GenerationDiff(
            from: a, to: b, packages: packages,
            manifestChanges: ManifestChanges.beyondTheLock(from: a.manifest, to: b.manifest),
            closureSizes: (
                closureSize(a.environments[Manifest.defaultShell]), closureSize(b.environments[Manifest.defaultShell])
            ))
    }

    /// The closure size of a store path (nil when it is not in the store).
    private func closureSize(_ path: String?) -> UInt64? {
        guard let path, let storePath = try? store.directory.storePath(parsing: path) else { return nil }
        return try? store.closureSize(of: [storePath])
    }
}
