import DevenvBasics
import Foundation

/// What `Store.verify` found and, with repair, what it did about it.
public struct StoreVerification: Sendable {
    public enum Problem: Sendable, CustomStringConvertible {
        /// Registered in the database, but nothing on disk.
        case missing(String)
        /// On disk, but not registered: not valid, so nothing may use it.
        case unregistered(String)
        /// An entry in the store directory that cannot be a store path.
        case foreign(String)
        /// On disk with content that no longer has the recorded NAR hash.
        case modified(String, expected: Hash, actual: Hash)

        public var description: String {
            switch self {
            case .missing(let path): "path '\(path)' is registered but missing on disk"
            case .unregistered(let path): "path '\(path)' is on disk but not registered"
            case .foreign(let path): "'\(path)' in the store directory is not a store path"
            case .modified(let path, let expected, let actual):
                "path '\(path)' was modified: expected NAR hash \(expected.sri), got \(actual.sri)"
            }
        }
    }

    public internal(set) var problems: [Problem] = []
    /// One line per action `--repair` took.
    public internal(set) var repairs: [String] = []
    /// Problems that remain after this run.
    public internal(set) var unresolved = 0

    public var isHealthy: Bool { unresolved == 0 }
}

extension Store {
    /// Compares the database with the store directory: rows without paths, paths without rows,
    /// and with `checkContents` paths whose NAR hash changed. With `repair`, re-registers a path
    /// whose name proves its content, removes what cannot be trusted (and whatever depends on
    /// it), and says what it did.
    public func verify(checkContents: Bool, repair: Bool) throws -> StoreVerification {
        var result = StoreVerification()
        let registered = Set(try database.validPaths())
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { !$0.hasPrefix(".") }.sorted()
        var onDisk: Set<StorePath> = []

        for name in entries {
            let full = directory.path + "/" + name
            guard let path = try? StorePath(baseName: name) else {
                result.problems.append(.foreign(full))
                if repair {
                    try FileTree.remove(full)
                    result.repairs.append("removed '\(full)'")
                } else {
                    result.unresolved += 1
                }
                continue
            }
            onDisk.insert(path)
            if registered.contains(path) { continue }
            // A concurrent add holds the lock from rename to commit: wait for it, then look again.
            let lock = try PathLock.acquire(lockPath(for: path))
            defer { lock.release() }
            if try database.isValid(path) { continue }
            result.problems.append(.unregistered(full))
            if repair {
                result.repairs.append(try reregisterOrRemove(path))
            } else {
                result.unresolved += 1
            }
        }

        var untrusted: [StorePath] = []
        for path in registered.sorted() {
            let full = directory.fullPath(of: path)
            if !onDisk.contains(path) {
                result.problems.append(.missing(full))
                untrusted.append(path)
            } else if checkContents, let info = try database.pathInfo(path) {
                let actual = try Nar.hash(of: full, algorithm: info.narHash.algorithm).hash
                if actual != info.narHash {
                    result.problems.append(.modified(full, expected: info.narHash, actual: actual))
                    untrusted.append(path)
                }
            }
        }
        if repair {
            result.repairs += try removeWithDependents(untrusted)
        } else {
            result.unresolved += untrusted.count
        }
        return result
    }

    /// An unregistered path is registered again when its name is exactly what its content hashes
    /// to as a source path; otherwise nothing says what it is, and it is removed.
    private func reregisterOrRemove(_ path: StorePath) throws -> String {
        let full = directory.fullPath(of: path)
        let (hash, size) = try Nar.hash(of: full)
        let contentAddress = ContentAddress.fixed(recursive: true, hash: hash)
        if try directory.path(for: contentAddress, name: path.name) == path {
            try database.register([
                PathInfo(path: path, narHash: hash, narSize: size, contentAddress: contentAddress)
            ])
            return "registered '\(full)' again (its content matches its name)"
        }
        try FileTree.remove(full)
        return "removed '\(full)' (its content does not prove its name)"
    }

    /// Invalidates `paths` and everything that references them, then deletes what is on disk.
    /// Rows go first, so a crash in between leaves unregistered trees, never a valid broken one.
    private func removeWithDependents(_ paths: [StorePath]) throws -> [String] {
        guard !paths.isEmpty else { return [] }
        var doomed: Set<StorePath> = []
        var pending = paths
        while let path = pending.popLast() {
            guard doomed.insert(path).inserted else { continue }
            pending.append(contentsOf: try database.referrers(of: path))
        }
        try database.invalidate(Array(doomed))
        let roots = Set(paths)
        return try doomed.sorted().map { path in
            let full = directory.fullPath(of: path)
            try FileTree.remove(full)
            return roots.contains(path)
                ? "removed '\(full)' and its registration"
                : "removed '\(full)' (it depends on a removed path)"
        }
    }
}
