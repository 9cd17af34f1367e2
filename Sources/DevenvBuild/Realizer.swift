import DevenvBasics
import DevenvCache
import DevenvFetch
import DevenvStore
import Foundation

/// Makes derivations' outputs valid: a valid output is done; one a binary cache has (with its
/// closure, `settings.caches`) is substituted, and what it was built with is not needed;
/// otherwise its dependencies are realized first, its sources fetched and it is built. Independent derivations proceed in
/// parallel (`settings.jobs`); a per-path build lock means two processes never build the same
/// path at once: the second waits and then finds the path valid.
public final class Realizer: Sendable {
    let store: Store
    let settings: BuildSettings
    let progress: any BuildProgress
    let fetcher: URLFetcher
    let substitution: Substitution?

    public convenience init(store: Store, settings: BuildSettings = BuildSettings(), progress: any BuildProgress) {
        self.init(
            store: store, settings: settings, progress: progress,
            substitution: settings.caches.substituters.isEmpty
                ? nil : Substitution(store: store, settings: settings, progress: progress))
    }

    private init(store: Store, settings: BuildSettings, progress: any BuildProgress, substitution: Substitution?) {
        self.store = store
        self.settings = settings
        self.progress = progress
        fetcher = URLFetcher(store: store, settings: settings.fetch, progress: progress)
        self.substitution = substitution
    }

    /// This realizer, trying `fallbacks` (URL → URLs) for sources that cannot be had from where
    /// their derivations say.
    public func with(fallbacks: [String: [String]]) -> Realizer {
        guard !fallbacks.isEmpty else { return self }
        var settings = settings
        settings.fetch.fallbacks.merge(fallbacks) { $0 + $1 }
        // The same caches: what was learnt of them (one that is down) still holds.
        return Realizer(store: store, settings: settings, progress: progress, substitution: substitution)
    }

    /// This realizer, also asking the caches of `sources` (a project's suggestions).
    public func with(caches sources: CacheSources) -> Realizer {
        guard !sources.isEmpty else { return self }
        var settings = settings
        settings.caches = settings.caches.adding(sources)
        return Realizer(store: store, settings: settings, progress: progress)
    }

    /// Realizes every derivation (and what it depends on) and returns their output paths, in order.
    public func realize(_ derivations: [Derivation]) throws -> [StorePath] {
        // Outputs a cache has are substituted first, so that nothing is built only to build them.
        for derivation in derivations {
            _ = try substitute(derivation, at: try derivation.outputPath(in: store.directory))
        }
        let plan = try Plan(derivations, in: store.directory) { [store] in (try? store.isValid($0)) ?? false }
        try plan.run(workers: max(1, settings.jobs)) { [self] derivation, output, dependencies in
            try realizeOne(derivation, at: output, dependencies: dependencies)
        }
        return try derivations.map { try $0.outputPath(in: store.directory) }
    }

    private func realizeOne(_ derivation: Derivation, at output: StorePath, dependencies: [Derivation: StorePath])
        throws
    {
        if try store.isValid(output) { return }
        let lock = try store.buildLock(for: output)
        defer { lock.release() }
        if try store.isValid(output) { return }
        if try substitute(derivation, at: output) { return }
        let sources = try fetcher.fetchAll(derivation.sources.map(\.fetchable))
        try Builder(store: store, settings: settings, progress: progress)
            .build(derivation, at: output, sources: sources, dependencies: dependencies)
    }
}

extension Realizer {
    /// Whether `derivation`'s `output` is valid after asking the binary caches for it (none
    /// configured: false).
    func substitute(_ derivation: Derivation, at output: StorePath) throws -> Bool {
        guard let substitution else { return try store.isValid(output) }
        return try substitution.substitute(
            output, counterparts: Realizer.counterparts(of: derivation, in: store.directory), progress: progress)
    }

    /// The outputs of `derivation` and all below it, named in another store directory: the same
    /// derivations' outputs there (their hashes do not depend on the store directory).
    static func counterparts(of derivation: Derivation, in here: StoreDirectory) -> Substituter.Counterparts {
        { there in try Derivation.outputCounterparts(of: [derivation], in: here, there: there) }
    }
}

/// The binary caches of one realizer, asked one path at a time: what it learns (a cache's
/// `nix-cache-info`, a cache that is down) holds for the whole run.
final class Substitution: @unchecked Sendable {
    private let lock = NSLock()
    private let substituter: Substituter
    private var reported = 0
    /// Outputs no cache could give: asked for once per run (the first pass over the requested
    /// outputs and their own realization would otherwise ask, and warn, twice).
    private var unavailable: Set<StorePath> = []

    init(store: Store, settings: BuildSettings, progress: any BuildProgress) {
        substituter = Substituter(
            store: store, caches: settings.caches.substituters, trusted: settings.caches.trustedKeys,
            fetcher: URLFetcher(store: store, settings: settings.fetch, progress: progress),
            misses: NarinfoMisses(directory: store.location.home + "/narinfo-misses")
        ) { [store, progress] path, cache in
            progress.substituted(path: store.directory.fullPath(of: path), from: cache)
        }
    }

    func substitute(_ output: StorePath, counterparts: @escaping Substituter.Counterparts, progress: any BuildProgress)
        throws -> Bool
    {
        lock.lock()
        defer { lock.unlock() }
        guard !unavailable.contains(output) else { return false }
        let done = try substituter.substitute(output, counterparts: counterparts)
        for problem in substituter.problems.dropFirst(reported) { progress.warning(problem) }
        reported = substituter.problems.count
        if !done { unavailable.insert(output) }
        return done
    }
}

/// The derivations to realize as a graph, worked off by a pool of threads: a derivation starts
/// once all it depends on are done; after a failure nothing new starts, and the first error is
/// thrown when the running work has ended.
private final class Plan: @unchecked Sendable {
    private struct Node {
        let derivation: Derivation
        var waitingFor: Set<StorePath>
        var dependents: [StorePath] = []
    }

    private let condition = NSCondition()
    private var nodes: [StorePath: Node] = [:]
    private var outputs: [Derivation: StorePath] = [:]
    private var ready: [StorePath] = []
    private var running = 0
    private var remaining = 0
    private var failure: (any Error)?

    /// `isValid`: an output already valid needs nothing it was built with.
    init(_ derivations: [Derivation], in store: StoreDirectory, isValid: (StorePath) -> Bool) throws {
        var pending = derivations
        while let derivation = pending.popLast() {
            let output = try derivation.outputPath(in: store)
            guard nodes[output] == nil else { continue }
            let needed = isValid(output) ? [] : derivation.dependencies
            let dependencies = try needed.map { try $0.outputPath(in: store) }
            nodes[output] = Node(derivation: derivation, waitingFor: Set(dependencies))
            outputs[derivation] = output
            pending.append(contentsOf: needed)
        }
        for (output, node) in nodes {
            for dependency in node.waitingFor { nodes[dependency]!.dependents.append(output) }
            if node.waitingFor.isEmpty { ready.append(output) }
        }
        ready.sort()
        remaining = nodes.count
    }

    func run(workers: Int, _ work: @escaping @Sendable (Derivation, StorePath, [Derivation: StorePath]) throws -> Void)
        throws
    {
        Threads.run(min(workers, max(1, nodes.count))) { [self] _ in
            while let (derivation, output, dependencies) = next() {
                do {
                    try work(derivation, output, dependencies)
                    finish(output, error: nil)
                } catch {
                    finish(output, error: error)
                }
            }
        }
        if let failure { throw failure }
    }

    /// The next derivation to realize, waiting while others run; nil when there is nothing left.
    private func next() -> (Derivation, StorePath, [Derivation: StorePath])? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if failure != nil || remaining == 0 { return nil }
            if !ready.isEmpty {
                let output = ready.removeFirst()
                running += 1
                let derivation = nodes[output]!.derivation
                // A valid output's dependencies are not in the plan (nor needed).
                let dependencies = Dictionary(
                    uniqueKeysWithValues: derivation.dependencies.compactMap { dependency in
                        outputs[dependency].map { (dependency, $0) }
                    })
                return (derivation, output, dependencies)
            }
            if running == 0 { return nil }
            condition.wait()
        }
    }

    private func finish(_ output: StorePath, error: (any Error)?) {
        condition.lock()
        defer { condition.unlock() }
        running -= 1
        remaining -= 1
        if let error {
            if failure == nil { failure = error }
        } else {
            for dependent in nodes[output]!.dependents {
                nodes[dependent]!.waitingFor.remove(output)
                if nodes[dependent]!.waitingFor.isEmpty { ready.append(dependent) }
            }
        }
        condition.broadcast()
    }
}
