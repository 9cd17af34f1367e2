import DevenvStore
import Foundation
import Glibc

/// Roots that a layer above finds at collection time (the hook's live shells): how it takes
/// part in garbage collection without the policy knowing it.
public protocol LiveRoots {
    func liveRoots() -> [StoreRoot]
}

/// Garbage collection's policy, in one place (the mechanism is the store's): which generations
/// go, that projects whose directory is gone stop rooting anything, what the generations that
/// stay keep, and (`AutomaticCollection`) when it runs by itself. Roots: project and profile
/// generations, explicit roots, running devenv processes, and what `live` sources find.
public struct GarbageCollector {
    public let store: Store
    public let live: [any LiveRoots]

    public init(store: Store, live: [any LiveRoots] = []) {
        self.store = store
        self.live = live
    }

    public struct Options: Sendable {
        public var dryRun = false
        /// Delete every generation except each project's current one.
        public var deleteOld = false
        /// Delete generations (not current ones) older than this many seconds.
        public var olderThan: TimeInterval?
        public var maxFreed: UInt64?
        /// How long to wait for other devenv processes to end (nil: for as long as they run);
        /// after that the collection gives up (automatic GC).
        public var waitAtMost: Double?

        public init() {}
    }

    public struct Report: Sendable {
        public var lines: [String] = []
        public var collection = GarbageCollection()
        /// False when another devenv process still ran after `waitAtMost`.
        public var ran = true
    }

    public func run(_ options: Options, now: Date = Date()) throws -> Report {
        guard
            let outcome = try store.exclusively(
                waitingAtMost: options.waitAtMost,
                { () throws -> Report in
                    var report = Report()
                    // Owners (`<root>#<number>`) whose roots go: deleted generations and gone projects.
                    var dropped = Set<String>()
                    // What the generations that stay keep, from their locks (generations recorded
                    // before their packages were rooted too).
                    var kept: [StorePath] = []
                    for root in Generations.projects(home: store.location.home) {
                        let generations = Generations(root: root, store: store)
                        guard FileManager.default.fileExists(atPath: Project(root: root).manifestPath) else {
                            let all = generations.all()
                            report.lines.append(
                                "project \(root) is gone: its \(all.count) generation(s) no longer root anything")
                            dropped.formUnion(all.map { "\(root)#\($0.number)" })
                            if !options.dryRun { try generations.forget() }
                            continue
                        }
                        let current = generations.currentNumber
                        let doomed = generations.all().filter { generation in
                            generation.number != current
                                && (options.deleteOld
                                    || options.olderThan.map {
                                        now.timeIntervalSince1970 - Double(generation.created) > $0
                                    } == true)
                        }
                        for generation in doomed {
                            report.lines.append("deleting generation \(generation.number) of \(root)")
                            dropped.insert("\(root)#\(generation.number)")
                        }
                        if !options.dryRun { try generations.delete(doomed.map(\.number)) }
                        let doomedNumbers = Set(doomed.map(\.number))
                        for generation in generations.all() where !doomedNumbers.contains(generation.number) {
                            kept += try generations.rootedPaths(of: generation)
                        }
                    }
                    let recorded = try store.recordedRoots().filter {
                        $0.kind != .generation || !dropped.contains($0.owner)
                    }
                    let roots =
                        recorded.map(\.path) + kept + store.liveTemporaryRoots(dryRun: options.dryRun).map(\.path)
                        + live.flatMap { $0.liveRoots() }.map(\.path)
                    report.collection = try store.collectGarbage(
                        roots: roots, dryRun: options.dryRun, maxFreed: options.maxFreed)
                    return report
                })
        else {
            var report = Report()
            report.ran = false
            return report
        }
        return outcome
    }

    /// Every root with the closure size it keeps alive, largest first.
    public func roots() throws -> [(root: StoreRoot, closureSize: UInt64)] {
        let all = try store.recordedRoots() + store.liveTemporaryRoots(dryRun: true) + live.flatMap { $0.liveRoots() }
        return try all.filter { try store.isValid($0.path) }.map { ($0, try store.closureSize(of: [$0.path])) }
            .sorted { ($0.closureSize, $1.root.path.baseName) > ($1.closureSize, $0.root.path.baseName) }
    }
}
