import DevenvBasics
import Foundation
import Glibc

/// What a garbage collection removed (or, dry, would remove).
public struct GarbageCollection: Sendable {
    public init() {}

    public internal(set) var deleted: [(path: StorePath, narSize: UInt64)] = []
    public var freed: UInt64 { deleted.reduce(0) { $0 + $1.narSize } }
    /// Valid paths that some root keeps.
    public internal(set) var alive = 0
}

extension Store {
    /// Keeps `path` alive (`devenv store add-root`).
    public func addRoot(_ path: StorePath, kind: RootKind = .explicit, owner: String = "") throws {
        try addRoots([path], kind: kind, owner: owner)
    }

    /// `addRoot` for several paths at once, in one transaction.
    public func addRoots(_ paths: [StorePath], kind: RootKind, owner: String) throws {
        for path in paths where !(try isValid(path)) {
            throw StoreError("'\(directory.fullPath(of: path))' is not valid")
        }
        try database.addRoots(paths, kind: kind, owner: owner)
    }

    public func removeRoots(kind: RootKind, owner: String? = nil, path: StorePath? = nil) throws {
        try database.removeRoots(kind: kind, owner: owner, path: path)
    }

    /// The roots recorded in the database.
    public func recordedRoots() throws -> [StoreRoot] { try database.roots() }

    private var temporaryRoots: String { location.home + "/temproots" }

    /// Keeps `path` alive for as long as this process (or what it `exec`s) runs.
    public func addTemporaryRoot(_ path: StorePath) throws {
        try FileManager.default.createDirectory(atPath: temporaryRoots, withIntermediateDirectories: true)
        let file = "\(temporaryRoots)/\(getpid())"
        let fd = try SystemCall.retrying("cannot write '\(file)'") {
            open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        }
        defer { close(fd) }
        try Array((directory.fullPath(of: path) + "\n").utf8).withUnsafeBytes {
            try SystemCall.writeAll(fd, $0, "cannot write '\(file)'")
        }
    }

    /// Temporary roots of processes that still run (files of dead ones are removed unless `dryRun`).
    public func liveTemporaryRoots(dryRun: Bool = false) -> [StoreRoot] {
        processRoots(in: temporaryRoots, kind: .process, removingDead: !dryRun)
    }

    /// The store paths named, one per line, in the files of `directory` whose names are the pids of
    /// processes that still run (`ProcessFile`): the roots those processes keep.
    public func processRoots(in directory: String, kind: RootKind, removingDead: Bool) -> [StoreRoot] {
        var roots: [StoreRoot] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let pid = Int32(name) else { continue }
            let file = "\(directory)/\(name)"
            if !ProcessFile.writerIsAlive(pid: pid, path: file) {
                if removingDead { try? FileManager.default.removeItem(atPath: file) }
                continue
            }
            let text = FileManager.default.contents(atPath: file).map { String(decoding: $0, as: UTF8.self) } ?? ""
            for line in text.split(separator: "\n") {
                if let path = try? self.directory.storePath(parsing: String(line)) {
                    roots.append(StoreRoot(path: path, kind: kind, owner: name, created: 0))
                }
            }
        }
        return roots
    }

    /// Every valid path of `graph` reachable from `roots`.
    private func liveClosure(
        of roots: [StorePath], in graph: [(path: StorePath, narSize: UInt64, references: [Int64], id: Int64)]
    ) -> Set<StorePath> {
        var byPath: [StorePath: Int] = [:]
        for (index, node) in graph.enumerated() { byPath[node.path] = index }
        var byID: [Int64: Int] = [:]
        for (index, node) in graph.enumerated() { byID[node.id] = index }
        var live = Set<Int>()
        var pending = roots.compactMap { byPath[$0] }
        while let index = pending.popLast() {
            guard live.insert(index).inserted else { continue }
            pending += graph[index].references.compactMap { byID[$0] }
        }
        return Set(live.map { graph[$0].path })
    }

    /// The total NAR size of `path`'s closure.
    public func closureSize(of paths: [StorePath]) throws -> UInt64 {
        try closure(of: paths).reduce(0) { $0 + $1.narSize }
    }

    /// Deletes every valid path that no root reaches (at most `maxFreed` bytes of them, referrers
    /// before what they reference). Rows go first, files after, so a crash never leaves a valid
    /// row for a half-deleted path. Then links the files of the paths added unshared
    /// (substituted) to the shared copies. With `dryRun`, only says what would go.
    public func collectGarbage(roots: [StorePath], dryRun: Bool, maxFreed: UInt64? = nil) throws -> GarbageCollection {
        let graph = try database.graph()
        let live = liveClosure(of: roots, in: graph)
        var result = GarbageCollection()
        result.alive = live.count
        // Dead paths in an order where each comes after every dead path that references it.
        var referrers: [Int64: Int] = [:]
        let dead = graph.filter { !live.contains($0.path) }
        let deadIDs = Set(dead.map(\.id))
        for node in dead {
            for reference in node.references where reference != node.id && deadIDs.contains(reference) {
                referrers[reference, default: 0] += 1
            }
        }
        var byID: [Int64: (path: StorePath, narSize: UInt64, references: [Int64], id: Int64)] = [:]
        for node in dead { byID[node.id] = node }
        var ready = dead.filter { referrers[$0.id, default: 0] == 0 }.sorted { $0.path < $1.path }
        var order: [(path: StorePath, narSize: UInt64)] = []
        var next = 0
        while next < ready.count {
            let node = ready[next]
            next += 1
            order.append((node.path, node.narSize))
            for reference in node.references where reference != node.id {
                guard let count = referrers[reference] else { continue }
                referrers[reference] = count - 1
                if count == 1, let referenced = byID[reference] { ready.append(referenced) }
            }
        }
        var freed: UInt64 = 0
        for entry in order {
            if let maxFreed, freed >= maxFreed { break }
            result.deleted.append(entry)
            freed += entry.narSize
        }
        guard !dryRun else { return result }
        // In batches, each one transaction. A journal names the batch before its rows go, so if
        // this process dies before the files are gone, the next one to open the store finishes it.
        var index = 0
        while index < result.deleted.count {
            let batch = Array(result.deleted[index..<min(index + 500, result.deleted.count)]).map(\.path)
            try Data(batch.map { directory.fullPath(of: $0) + "\n" }.joined().utf8)
                .write(to: URL(fileURLWithPath: collectionJournal), options: .atomic)
            try database.invalidate(batch)
            for path in batch { try FileTree.remove(directory.fullPath(of: path)) }
            index += batch.count
        }
        try? FileManager.default.removeItem(atPath: collectionJournal)
        try shareUnsharedPaths()
        try removeUnusedSharedFiles()
        return result
    }

    var collectionJournal: String { location.home + "/gc.journal" }

    /// Finishes what a killed collection left: paths it invalidated but did not delete. Called
    /// holding the shared lock, so no collection is running.
    func finishInterruptedCollection() throws {
        guard let data = FileManager.default.contents(atPath: collectionJournal) else { return }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let path = try? directory.storePath(parsing: String(line)), try !database.isValid(path) else {
                continue
            }
            try FileTree.remove(directory.fullPath(of: path))
        }
        try? FileManager.default.removeItem(atPath: collectionJournal)
    }
}

extension Store {
    /// Runs `body` while no other devenv process uses the store: every process holds a shared
    /// lock on `$DEVENV_HOME/gc.lock` from the moment it opens the store; this takes it exclusively.
    /// With `waitingAtMost` seconds, returns nil when other processes still hold it by then
    /// (nil: wait for as long as they run).
    public func exclusively<T>(waitingAtMost seconds: Double? = nil, _ body: () throws -> T) throws -> T? {
        flock(gcLock, LOCK_UN)
        defer { flock(gcLock, LOCK_SH) }
        let deadline = seconds.map { Date().addingTimeInterval($0) }
        while flock(gcLock, LOCK_EX | (deadline == nil ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            guard errno == EWOULDBLOCK else {
                throw StoreError("cannot lock \(location.home)/gc.lock: \(SystemCall.message())")
            }
            guard let deadline, Date() < deadline else { return nil }
            usleep(50_000)
        }
        return try body()
    }
}
