import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

/// Brings store paths from binary caches instead of fetching or building them: a path (with its
/// references first) comes from the first cache that has it, signed by a trusted key, and whose
/// NAR has the hashes and size its narinfo says. What does not verify is refused, said in
/// `problems`, and the next cache is asked.
public final class Substituter: @unchecked Sendable {
    let store: Store
    let caches: [BinaryCache]
    let trusted: [TrustedKey]
    let fetcher: URLFetcher
    /// Caches that failed other than by not having a file: not asked again (one timeout per run).
    private var dead: Set<String> = []
    /// What was refused, one line each (`CACHE: PATH: why`).
    public private(set) var problems: [String] = []
    private var infos: [String: CacheInfo?] = [:]
    /// Paths no cache could give in this run: not asked for again (each referrer would ask anew).
    private var failed: Set<StorePath> = []
    /// Guards the state above: a closure's paths are asked for, and unpacked, side by side.
    private let state = NSLock()
    /// Narinfos asked for, or NARs unpacked, at once: a closure of many small paths costs round
    /// trips more than work, and a small server (Python's, with a backlog of five) keeps up.
    static let sideBySide = 6

    /// How many references deep a closure may go (no walk over input is unbounded).
    static let maximumDepth = 256

    /// Called with each path substituted and the cache it came from.
    let onSubstituted: (StorePath, String) -> Void
    /// Narinfos HTTP caches did not have lately, not asked for again for a while.
    let misses: NarinfoMisses?

    public init(
        store: Store, caches: [BinaryCache], trusted: [TrustedKey], fetcher: URLFetcher? = nil,
        misses: NarinfoMisses? = nil, onSubstituted: @escaping (StorePath, String) -> Void = { _, _ in }
    ) {
        self.store = store
        self.caches = caches
        self.trusted = trusted
        self.fetcher = fetcher ?? URLFetcher(store: store)
        self.misses = misses
        self.onSubstituted = onSubstituted
    }

    /// A closure's paths named in another store directory: each path the caller may ask for, and
    /// what it may reference, → its counterpart there (a derivation's output: the same derivation's
    /// output in that directory). With them, caches of other store directories of the same length
    /// can give paths, rewritten into this store (docs/store.md).
    public typealias Counterparts = (StoreDirectory) throws -> [StorePath: StorePath]

    /// Whether `path` is valid once it has been asked for: already, or substituted with its closure.
    /// The closure's narinfos are asked for side by side, a level of references at a time; a path
    /// whose whole closure is known to be had has its NAR unpacked (the largest first) while the
    /// others' narinfos are still coming, and becomes valid once its references are. A path some
    /// reference of which no cache gives is refused before its NAR is fetched.
    public func substitute(_ path: StorePath, counterparts: Counterparts? = nil) throws -> Bool {
        if try store.isValid(path) { return true }
        let renaming = counterparts.map(Renaming.init)
        let graph = ClosureGraph(root: path, unpackersWhileAsking: ProcessInfo.processInfo.activeProcessorCount)
        // Failures that are not one path's fault.
        let failures = Failures()
        Threads.run(Substituter.sideBySide) { [self] _ in
            while let task = graph.next() {
                switch task {
                case .ask(let path, let depth):
                    do {
                        try ask(path, depth: depth, renaming: renaming, graph: graph)
                    } catch {
                        failures.record(error)
                        graph.stop()
                        _ = graph.cannotHave(path, saying: false)
                    }
                case .unpack(let path, let source):
                    unpack(path, from: source, renaming: renaming, graph: graph)
                    graph.doneUnpacking()
                }
            }
        }
        if let error = failures.first { throw error }
        let cycle = graph.waiting()
        for (_, source) in cycle { record("\(source.source): its references form a cycle") }
        // A closure refused for its depth says nothing of its paths: each may still come as part
        // of another.
        if !graph.stopped { locked { failed.formUnion(graph.failed.union(cycle.map(\.0))) } }
        return try store.isValid(path)
    }

    /// Asks the caches for `path` (`depth` references below the path substituted) and tells the
    /// graph what they said.
    private func ask(_ path: StorePath, depth: Int, renaming: Renaming?, graph: ClosureGraph) throws {
        if try store.isValid(path) {
            graph.alreadyValid(path)
        } else if depth >= Substituter.maximumDepth {
            // Nothing more is asked for, and no NAR of a path that leads here is fetched (none is
            // complete before this one is).
            graph.stop()
            _ = graph.cannotHave(path)
            record("\(store.directory.fullPath(of: graph.root)): references deeper than \(Substituter.maximumDepth)")
        } else if !locked({ failed.contains(path) }), let source = try source(of: path, renaming: renaming) {
            for problem in graph.found(path, source) { record(problem) }
        } else {
            for problem in graph.cannotHave(path) { record(problem) }
        }
    }

    /// Where a path comes from: a cache's narinfo for it, verified, with its references named in
    /// this store.
    struct Source {
        let cache: BinaryCache
        /// The cache's place in `ordered()`: a NAR that fails is asked of the caches after it.
        let rank: Int
        let info: NarInfo
        /// The narinfo's URL, for messages.
        let source: String
        let references: [StorePath]
        let address: ContentAddress?
        let rewrite: StoreRewrite?
    }

    /// The first source that the caches after `rank` give for `path`, or nil (said in `problems`).
    private func source(of path: StorePath, renaming: Renaming?, after rank: Int = -1) throws -> Source? {
        for (index, (cache, cacheInfo)) in try ordered().enumerated() where index > rank && !isDead(cache) {
            let directory = StoreDirectory(cacheInfo.storeDirectory)
            var names: (there: [StorePath: StorePath], here: [StorePath: StorePath])? = nil
            if directory != store.directory {
                // Another store's cache: only for paths whose names there are known.
                guard let renaming else { continue }
                names = try renaming.names(in: directory)
            }
            guard let asked = names == nil ? path : names!.there[path] else { continue }
            let source = cache.url + "/" + asked.hashPart + ".narinfo"
            do {
                guard !(misses?.recentlyMissed(asked, in: cache) ?? false) else { continue }
                guard let narinfo = try cache.retrieve(asked.hashPart + ".narinfo", with: fetcher) else {
                    misses?.record(asked, in: cache)
                    continue
                }
                let info = try NarInfo(parsing: narinfo, storeDirectory: directory, source: source)
                guard info.storePath == asked else {
                    throw CacheError("\(source): it is for \(directory.fullPath(of: info.storePath))")
                }
                // Signed by a trusted key, or content-addressed: its content is then checked against
                // its address (only in its own store directory, where it keeps its content).
                let address = names == nil ? info.verifiedContentAddress(storeDirectory: directory) : nil
                guard address != nil || info.isSigned(by: trusted, storeDirectory: directory) else {
                    throw CacheError("\(source): no signature by a trusted key")
                }
                var references: [StorePath] = []
                for reference in info.references {
                    guard let local = reference == asked ? path : names == nil ? reference : names!.here[reference]
                    else {
                        throw CacheError(
                            "\(source): its reference \(reference.baseName) is not among what \(path.baseName) is derived from"
                        )
                    }
                    references.append(local)
                }
                return Source(
                    cache: cache, rank: index, info: info, source: source, references: references, address: address,
                    rewrite: try names.map { try StoreRewrite(from: directory, to: store.directory, paths: $0.here) })
            } catch {
                record(error, from: cache, source: source)
            }
        }
        locked { _ = failed.insert(path) }
        return nil
    }

    /// Unpacks `path`'s NAR (from the next caches when it fails; another cache's narinfo counts
    /// only if it says the same references), then makes valid what that made ready: this path once
    /// its references are, and the paths that waited only for it.
    private func unpack(_ path: StorePath, from first: Source, renaming: Renaming?, graph: ClosureGraph) {
        var source: Source? = first
        var staged: Staged? = nil
        while let current = source, staged == nil {
            do {
                staged = try fetch(current, as: path)
            } catch {
                record(error, from: current.cache, source: current.source)
                source = try? self.source(of: path, renaming: renaming, after: current.rank)
                if let next = source, next.references != current.references { source = nil }
            }
        }
        var ready = graph.unpacked(path, staged)
        while !ready.isEmpty { ready = makeValid(ready, graph: graph) }
    }

    /// Makes `ready` (whose references are valid) valid, in one transaction, and returns the
    /// paths that this made ready. Each is moved into the store holding its lock until the
    /// transaction ends; the locks are taken in the order of the paths' names, so that two
    /// processes making some of the same paths valid never wait for each other. (No lock is held
    /// while a path waits for its references: another process may be waiting for it.)
    private func makeValid(_ ready: [Staged], graph: ClosureGraph) -> [Staged] {
        var next: [Staged] = []
        var placed: [(Staged, PlacedPath?)] = []
        for staged in ready.sorted(by: { $0.path.baseName < $1.path.baseName }) {
            do {
                placed.append((staged, try store.placeSubstitute(staged.staging, as: staged.info)))
            } catch {
                record(error, from: staged.cache, source: staged.source)
                next += graph.valid(staged.path, failed: true)
            }
        }
        do {
            try store.makeValid(placed.compactMap(\.1))
            for (staged, _) in placed {
                onSubstituted(staged.path, staged.cache.url)
                next += graph.valid(staged.path)
            }
        } catch {
            for (staged, _) in placed {
                record(error, from: staged.cache, source: staged.source)
                next += graph.valid(staged.path, failed: true)
            }
        }
        return next
    }

    private func record(_ error: any Error, from cache: BinaryCache, source: String) {
        switch error {
        case let error as CacheError: record(error.description)
        // Unreachable, or answering errors: asked no more in this run.
        case let error as FetchError: record("\(cache.url): \(error.description); not asked again", dead: cache)
        default: record("\(source): \(error)")
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        state.lock()
        defer { state.unlock() }
        return try body()
    }

    private func isDead(_ cache: BinaryCache) -> Bool { locked { dead.contains(cache.url) } }

    private func record(_ problem: String, dead cache: BinaryCache? = nil) {
        locked {
            problems.append(problem)
            if let cache { dead.insert(cache.url) }
        }
    }

    /// The usable caches and what they say of themselves, by their `Priority` (lower first; 50,
    /// Nix's default, when unsaid), ties in the order given.
    private func ordered() throws -> [(BinaryCache, CacheInfo)] {
        var usable: [(offset: Int, cache: BinaryCache, info: CacheInfo)] = []
        for (offset, cache) in caches.enumerated() where !isDead(cache) {
            do {
                if let info = try info(of: cache) { usable.append((offset, cache, info)) }
            } catch let error as FetchError {
                record("\(cache.url): \(error.description); not asked again", dead: cache)
            }
        }
        return usable.sorted { ($0.info.priority ?? 50, $0.offset) < ($1.info.priority ?? 50, $1.offset) }
            .map { ($0.cache, $0.info) }
    }

    /// The `nix-cache-info` of `cache` (read once), or nil when its store directory is not this
    /// store's and cannot be rewritten into it.
    private func info(of cache: BinaryCache) throws -> CacheInfo? {
        // Held while a cache is first asked: the others wait for its answer rather than ask too.
        state.lock()
        defer { state.unlock() }
        if infos[cache.url] == nil {
            var info: CacheInfo? = nil
            do {
                let read = try cache.cacheInfo(with: fetcher)
                let (there, here) = (read.storeDirectory, store.directory.path)
                guard there == here || there.utf8.count == here.utf8.count else {
                    throw CacheError(
                        "\(cache.url): its paths are for \(there), not \(here), and only store directories of the "
                            + "same length (\(there.utf8.count) and \(here.utf8.count) bytes here) are rewritten into "
                            + "each other (docs/store.md); not used")
                }
                info = read
            } catch let error as CacheError {
                problems.append(error.description)
            }
            infos[cache.url] = info
        }
        return infos[cache.url]!
    }

    /// A path's NAR unpacked and checked, to be made valid once its references are.
    struct Staged {
        let staging: StagingArea
        let info: PathInfo
        let cache: BinaryCache
        let source: String

        var path: StorePath { info.path }
    }

    /// Downloads, checks and unpacks the NAR of `source` as `path`. The NAR streams from the
    /// cache (or its file in a local one) through decompression and hashing into the NAR reader,
    /// and is checked against its hashes and size; from another store directory's cache, the
    /// checked NAR is rewritten into this one first (the rewritten NAR's hash is the one
    /// recorded). A download interrupted while it was being unpacked is downloaded again whole,
    /// with the fetcher's retries, then unpacked.
    private func fetch(_ source: Source, as path: StorePath) throws -> Staged {
        func unpack(_ file: NarFile, into staging: StagingArea, verifyingFile: () throws -> Void) throws -> Staged {
            Staged(
                staging: staging,
                info: try self.unpack(file, into: staging, from: source, as: path, verifyingFile: verifyingFile),
                cache: source.cache, source: source.source)
        }
        if let download = try source.cache.narDownload(of: source.info, source: source.source, with: fetcher) {
            do {
                return try unpack(download.file, into: try store.makeStagingArea(), verifyingFile: download.finish)
            } catch is NarDownload.Interrupted {
            } catch {
                // What the download says comes first once it has ended: a file that is not the
                // narinfo's is refused as such, and an interrupted one is downloaded again. While
                // it goes on, the NAR itself is at fault, and nothing more of it is downloaded.
                do {
                    try download.checkIfEnded()
                    throw error
                } catch is NarDownload.Interrupted {}
            }
        }
        let staging = try store.makeStagingArea()
        let file = try source.cache.verifiedFile(
            of: source.info, source: source.source, into: staging.directory, with: fetcher)
        return try unpack(FileReader(file).narFile, into: staging) {}
    }

    /// What the path unpacked into `staging` is to be registered as.
    private func unpack(
        _ file: NarFile, into staging: StagingArea, from source: Source, as path: StorePath,
        verifyingFile: () throws -> Void
    ) throws -> PathInfo {
        let (info, rewrite, address) = (source.info, source.rewrite, source.address)
        let stream = try NarStream(file: file, info: info, source: source.source)
        var narHash = info.narHash
        var read = stream.read(into:)
        var check = stream.finish
        if let rewrite {
            let nar = staging.directory + "/nar"
            try stream.write(to: nar)
            try verifyingFile()
            let rewritten = staging.directory + "/rewritten.nar"
            narHash = try rewrite.rewrite(nar, to: rewritten)
            read = try FileReader(rewritten).narFile.read
            check = {}
        }
        try store.unpackSubstitute(staging, narSize: info.narSize, reading: read) {
            try check()
            if rewrite == nil { try verifyingFile() }
            if let address, !(try Substituter.content(of: staging.tree, nar: info.narHash, matches: address)) {
                throw CacheError("\(source.source): its content is not what its content address says")
            }
        }
        return PathInfo(
            path: path, narHash: narHash, narSize: info.narSize, references: source.references,
            deriver: rewrite == nil ? info.deriver : nil, contentAddress: address,
            signatures: rewrite == nil ? info.signatures : [])
    }

    /// Whether the tree at `path` (whose NAR hash is `nar`, already checked) has `address`.
    static func content(of path: String, nar: Hash, matches address: ContentAddress) throws -> Bool {
        switch address {
        case .fixed(true, let hash):
            return hash.algorithm == .sha256
                ? hash == nar : try Nar.hash(of: path, algorithm: hash.algorithm).hash == hash
        case .fixed(false, let hash), .text(let hash):
            guard SystemCall.isRegular(try SystemCall.lstat(path)) else { return false }
            return try FileTree.hashContents(of: path, algorithm: hash.algorithm) == hash
        }
    }
}

/// What `Substituter.Counterparts` says for one store directory, both ways (computed once).
/// Asked from the threads that ask for a closure's narinfos side by side.
private final class Renaming: @unchecked Sendable {
    let counterparts: Substituter.Counterparts
    private var known: [StoreDirectory: (there: [StorePath: StorePath], here: [StorePath: StorePath])] = [:]
    private let lock = NSLock()

    init(_ counterparts: @escaping Substituter.Counterparts) { self.counterparts = counterparts }

    /// This store's paths → their names in `directory` (`there`) and back (`here`).
    func names(in directory: StoreDirectory) throws -> (there: [StorePath: StorePath], here: [StorePath: StorePath]) {
        lock.lock()
        defer { lock.unlock() }
        if let names = known[directory] { return names }
        let there = try counterparts(directory)
        let names = (there, Dictionary(there.map { ($1, $0) }) { first, _ in first })
        known[directory] = names
        return names
    }
}
