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
    /// Paths being substituted by some thread: another that needs one waits for it.
    private var inFlight: Set<StorePath> = []
    /// Guards the state above: a path's references are substituted side by side.
    private let state = NSCondition()
    /// Threads helping with references now, and how many may (with the caller's, paths
    /// substituted at once: a closure of many small paths costs round trips more than work).
    private var helpers = 0
    private static let maximumHelpers = 7
    /// Threads of this substitution not waiting (for a path another one substitutes, or for their
    /// helpers): when the last would wait, the paths in flight wait for each other, which only
    /// references forming a cycle (a hostile cache) can do, and every waiter gives up.
    private var running = 0
    private var deadlocked = false
    /// How many threads wait for each path in flight.
    private var waiters: [StorePath: Int] = [:]

    /// How many references deep a closure may go (no recursion over input is unbounded).
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
    public func substitute(_ path: StorePath, counterparts: Counterparts? = nil) throws -> Bool {
        locked {
            running = 1
            deadlocked = false
            waiters = [:]
        }
        return try substitute(path, depth: 0, renaming: counterparts.map(Renaming.init))
    }

    private func substitute(_ path: StorePath, depth: Int, renaming: Renaming?) throws -> Bool {
        guard depth < Substituter.maximumDepth else {
            throw CacheError(
                "\(store.directory.fullPath(of: path)): references deeper than \(Substituter.maximumDepth)")
        }
        if let known = try claim(path) { return known }
        defer {
            state.lock()
            inFlight.remove(path)
            running += waiters.removeValue(forKey: path) ?? 0
            state.broadcast()
            state.unlock()
        }
        if try substituteFromCaches(path, depth: depth, renaming: renaming) { return true }
        locked { failed.insert(path) }
        return false
    }

    /// Whether `path` is valid once no other thread substitutes it (waiting while one does), or
    /// nil when it is this thread's to substitute now (in flight until it is done).
    private func claim(_ path: StorePath) throws -> Bool? {
        state.lock()
        defer { state.unlock() }
        while inFlight.contains(path) {
            guard !deadlocked, running > 1 else {
                breakDeadlock()
                throw CacheError("\(store.directory.fullPath(of: path)): its references form a cycle")
            }
            running -= 1
            waiters[path, default: 0] += 1
            repeat { state.wait() } while inFlight.contains(path) && !deadlocked
            // Once the path is done, whoever finished it counted this thread as running again.
            if inFlight.contains(path) {
                waiters[path]! -= 1
                running += 1
            }
        }
        let valid = try store.isValid(path)
        if valid || failed.contains(path) { return valid }
        inFlight.insert(path)
        return nil
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        state.lock()
        defer { state.unlock() }
        return try body()
    }

    /// Called holding the lock when every thread waits: the ones waiting for paths give up.
    private func breakDeadlock() {
        deadlocked = true
        state.broadcast()
    }

    private func isDead(_ cache: BinaryCache) -> Bool { locked { dead.contains(cache.url) } }

    private func record(_ problem: String, dead cache: BinaryCache? = nil) {
        locked {
            problems.append(problem)
            if let cache { dead.insert(cache.url) }
        }
    }

    /// Starts substituting `paths` (references of a path) side by side on helper threads, while
    /// there are helpers to spare; `finishAll` takes what they left.
    private func startAll(_ paths: [StorePath], depth: Int, renaming: Renaming?) -> SharedWork {
        let work = SharedWork(paths)
        let claimed = locked {
            let claimed = max(0, min(paths.count, Substituter.maximumHelpers - helpers))
            helpers += claimed
            running += claimed
            work.helping = claimed
            return claimed
        }
        for _ in 0..<claimed {
            work.group.enter()
            Thread.detachNewThread { [self] in
                substitute(work, depth: depth, renaming: renaming)
                locked {
                    helpers -= 1
                    running -= 1
                    work.helping -= 1
                    // The last one counts the thread that waits for them as running again.
                    if work.helping == 0 && work.waited { running += 1 }
                }
                work.group.leave()
            }
        }
        return work
    }

    /// Substitutes on this thread what no helper took of `work`, and waits for the helpers.
    /// Throws the first failure once all are done; once they are, returns at once.
    private func finishAll(_ work: SharedWork, depth: Int, renaming: Renaming?) throws {
        substitute(work, depth: depth, renaming: renaming)
        locked {
            guard work.helping > 0 else { return }
            work.waited = true
            running -= 1
            // Helpers still at work, and no thread running: they wait for paths in flight.
            if running == 0 { breakDeadlock() }
        }
        work.group.wait()
        if let failure = work.failure { throw failure }
    }

    /// Takes paths of `work` until none is left (or one failed).
    private func substitute(_ work: SharedWork, depth: Int, renaming: Renaming?) {
        while let path: StorePath = locked({ work.take() }) {
            do { _ = try substitute(path, depth: depth, renaming: renaming) } catch {
                locked { work.failure = work.failure ?? error }
            }
        }
    }

    private func substituteFromCaches(_ path: StorePath, depth: Int, renaming: Renaming?) throws -> Bool {
        for (cache, cacheInfo) in try ordered() where !isDead(cache) {
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
                let scratch = try store.makeStagingArea()
                guard
                    let narinfoFile = try cache.retrieve(
                        asked.hashPart + ".narinfo", into: scratch.directory, with: fetcher)
                else {
                    misses?.record(asked, in: cache)
                    continue
                }
                let info = try NarInfo(
                    parsing: try String(contentsOfFile: narinfoFile, encoding: .utf8), storeDirectory: directory,
                    source: source)
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
                // The NAR is unpacked while the references are substituted; the path becomes valid
                // after them (a closure's chain of references would otherwise be waited for in turn).
                let work = startAll(references.filter { $0 != path }, depth: depth + 1, renaming: renaming)
                do {
                    try fetch(
                        info, as: path, references: references, from: cache, source: source, address: address,
                        rewrite: try names.map {
                            try StoreRewrite(from: directory, to: store.directory, paths: $0.here)
                        }
                    ) {
                        try finishAll(work, depth: depth + 1, renaming: renaming)
                        for (reference, local) in zip(info.references, references) where local != path {
                            guard try store.isValid(local) else {
                                throw CacheError("\(source): its reference \(reference.baseName) cannot be substituted")
                            }
                        }
                    }
                } catch {
                    // The helpers are waited for (what they could not substitute they said).
                    try? finishAll(work, depth: depth + 1, renaming: renaming)
                    throw error
                }
                onSubstituted(path, cache.url)
                return true
            } catch let error as CacheError {
                record(error.description)
            } catch let error as FetchError {
                // Unreachable, or answering errors: asked no more in this run.
                record("\(cache.url): \(error.description); not asked again", dead: cache)
            } catch {
                record("\(source): \(error)")
            }
        }
        return false
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
                let scratch = try store.makeStagingArea()
                let read = try cache.cacheInfo(into: scratch.directory, with: fetcher)
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

    /// Downloads, checks, unpacks and registers the path `info` describes as `path`. The NAR
    /// streams from the cache (or its file in a local one) through decompression and hashing into
    /// the NAR reader, and the path becomes valid only once its hashes and size are checked; from
    /// another store directory's cache, the checked NAR is rewritten into this one by `rewrite`
    /// first (the rewritten NAR's hash is the one recorded). A download interrupted while it was
    /// being unpacked is downloaded again whole, with the fetcher's retries, then unpacked.
    /// `referencesReady` is called once the NAR is checked, to make the references valid.
    private func fetch(
        _ info: NarInfo, as path: StorePath, references: [StorePath], from cache: BinaryCache, source: String,
        address: ContentAddress?, rewrite: StoreRewrite?, referencesReady: () throws -> Void
    ) throws {
        func unpack(_ file: FileReader, into staging: StagingArea, verifyingFile: () throws -> Void) throws {
            try self.unpack(
                file, into: staging, info: info, as: path, references: references, source: source, address: address,
                rewrite: rewrite, verifyingFile: verifyingFile, referencesReady: referencesReady)
        }
        if let download = try cache.narDownload(of: info, source: source, with: fetcher) {
            do {
                return try unpack(download.file, into: try store.makeStagingArea(), verifyingFile: download.finish)
            } catch is NarDownload.Interrupted {
            } catch {
                // What the download says comes first: a file that is not the narinfo's is refused as
                // such, and an interrupted one is downloaded again; else the NAR itself is at fault.
                do {
                    try download.finish()
                    throw error
                } catch is NarDownload.Interrupted {}
            }
        }
        let staging = try store.makeStagingArea()
        let file = try cache.verifiedFile(of: info, source: source, into: staging.directory, with: fetcher)
        try unpack(FileReader(file), into: staging) {}
    }

    private func unpack(
        _ file: FileReader, into staging: StagingArea, info: NarInfo, as path: StorePath, references: [StorePath],
        source: String, address: ContentAddress?, rewrite: StoreRewrite?, verifyingFile: () throws -> Void,
        referencesReady: () throws -> Void
    ) throws {
        let stream = try NarStream(file: file, info: info, source: source)
        var narHash = info.narHash
        var read = stream.read(into:)
        var check = stream.finish
        if let rewrite {
            let nar = staging.directory + "/nar"
            try stream.write(to: nar)
            try verifyingFile()
            let rewritten = staging.directory + "/rewritten.nar"
            narHash = try rewrite.rewrite(nar, to: rewritten)
            read = try FileReader(rewritten).read(into:)
            check = {}
        }
        try store.addSubstitute(
            staging,
            as: PathInfo(
                path: path, narHash: narHash, narSize: info.narSize, references: references,
                deriver: rewrite == nil ? info.deriver : nil, contentAddress: address,
                signatures: rewrite == nil ? info.signatures : []),
            reading: read
        ) {
            try check()
            if rewrite == nil { try verifyingFile() }
            if let address, !(try Substituter.content(of: staging.tree, nar: info.narHash, matches: address)) {
                throw CacheError("\(source): its content is not what its content address says")
            }
            try referencesReady()
        }
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

/// Paths for threads to take in turn, and the first failure (under the substituter's lock).
private final class SharedWork: @unchecked Sendable {
    private let paths: [StorePath]
    private var next = 0
    /// The helpers, to wait for.
    let group = DispatchGroup()
    var failure: (any Error)?
    /// Helper threads not done yet, and whether the thread that started them waits for them.
    var helping = 0
    var waited = false

    init(_ paths: [StorePath]) { self.paths = paths }

    func take() -> StorePath? {
        guard failure == nil, next < paths.count else { return nil }
        next += 1
        return paths[next - 1]
    }
}

/// What `Substituter.Counterparts` says for one store directory, both ways (computed once).
/// Asked from the threads that substitute a path's references side by side.
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
