import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

/// A binary cache to substitute from: a directory (`file:///…`, as `nix copy --to file://…`
/// writes one) or the same layout over HTTP (`http://…`, `https://…`).
public struct BinaryCache: Sendable, Equatable {
    public let url: String
    /// The directory of a file:// cache (nil for HTTP).
    let directory: String

    public init(url: String) throws {
        var base = url
        while base.hasSuffix("/") && !base.hasSuffix("://") { base.removeLast() }
        if base.hasPrefix("file:///") {
            directory = String(base.dropFirst("file://".count))
        } else if base.hasPrefix("http://") || base.hasPrefix("https://") {
            directory = ""
        } else {
            throw CacheError(
                "'\(url)' is not a binary cache devenv can read (file:///DIRECTORY, http://… or https://…)")
        }
        self.url = base
    }

    var isLocal: Bool { !directory.isEmpty }

    /// The file at `relative` in a file:// cache (a relative path of plain names), or nil.
    func file(_ relative: String) -> String? {
        let path = directory + "/" + relative
        return isLocal && FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The cache's `nix-cache-info` (fetched into `scratch` when it is not local).
    public func cacheInfo(into scratch: String, with fetcher: URLFetcher) throws -> CacheInfo {
        guard let file = try retrieve("nix-cache-info", into: scratch, with: fetcher) else {
            throw CacheError("\(url): it has no nix-cache-info")
        }
        return try CacheInfo(
            parsing: try String(contentsOfFile: file, encoding: .utf8), source: url + "/nix-cache-info")
    }

    /// The NAR of `info`, fetched into `scratch` when it is not local: its file must have the
    /// narinfo's `FileSize` and `FileHash` (when given) and, decompressed, its `NarHash` and
    /// `NarSize`. The path of the (uncompressed) NAR.
    func verifiedNar(of info: NarInfo, source: String, into scratch: String, with fetcher: URLFetcher) throws -> String
    {
        guard let file = try retrieve(info.url, into: scratch, with: fetcher) else {
            throw CacheError("\(source): its NAR \(info.url) is missing")
        }
        if let fileSize = info.fileSize,
            (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) != fileSize
        {
            throw CacheError("\(source): its NAR file is not \(fileSize) bytes")
        }
        if let fileHash = info.fileHash, try FileTree.hashContents(of: file, algorithm: fileHash.algorithm) != fileHash
        {
            throw CacheError("\(source): its NAR file does not have the FileHash")
        }
        var nar = file
        let narHash: Hash
        if info.compression != "none" {
            guard ["xz", "zstd", "bzip2", "gzip"].contains(info.compression) else {
                throw CacheError("\(source): compression '\(info.compression)' is not one devenv reads")
            }
            nar = scratch + "/nar"
            unlink(nar)
            // Hashed as it is decompressed: one pass over the NAR.
            let hasher = HashingSink(info.narHash.algorithm)
            try Unpacker.decompress(file, to: nar) { block in
                var sink = hasher
                try sink.consume(block)
            }
            narHash = hasher.finalize()
        } else {
            narHash = try FileTree.hashContents(of: nar, algorithm: info.narHash.algorithm)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: nar)[.size] as? UInt64) ?? 0
        guard size == info.narSize, narHash == info.narHash else {
            throw CacheError("\(source): its NAR does not have the NarHash and NarSize")
        }
        return nar
    }

    /// A local file with what the cache has at `relative`, downloaded into `scratch` over HTTP;
    /// nil when the cache has none.
    func retrieve(_ relative: String, into scratch: String, with fetcher: URLFetcher) throws -> String? {
        if isLocal { return file(relative) }
        let target = scratch + "/" + relative.replacingOccurrences(of: "/", with: "_")
        unlink(target)
        do {
            try fetcher.download(url + "/" + relative, to: target, expecting: nil)
        } catch let error as FetchError where error.isNotFound {
            return nil
        }
        return target
    }
}

/// Brings store paths from binary caches instead of fetching or building them: a path (with its
/// references first) comes from the first cache that has it, signed by a trusted key, and whose
/// NAR has the hashes and size its narinfo says. What does not verify is refused, said in
/// `problems`, and the next cache is asked.
public final class Substituter {
    let store: Store
    let caches: [BinaryCache]
    let trusted: [TrustedKey]
    let fetcher: URLFetcher
    /// Caches that failed other than by not having a file: not asked again (one timeout per run).
    private var dead: Set<String> = []
    /// What was refused, one line each (`CACHE: PATH: why`).
    public private(set) var problems: [String] = []
    private var infos: [String: CacheInfo?] = [:]

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

    /// Whether `path` is valid once it has been asked for: already, or substituted with its closure.
    public func substitute(_ path: StorePath) throws -> Bool {
        try substitute(path, depth: 0)
    }

    private func substitute(_ path: StorePath, depth: Int) throws -> Bool {
        if try store.isValid(path) { return true }
        guard depth < Substituter.maximumDepth else {
            throw CacheError(
                "\(store.directory.fullPath(of: path)): references deeper than \(Substituter.maximumDepth)")
        }
        for cache in try ordered() where !dead.contains(cache.url) {
            let source = cache.url + "/" + path.hashPart + ".narinfo"
            do {
                guard try usable(cache), !(misses?.recentlyMissed(path, in: cache) ?? false) else { continue }
                let scratch = try store.makeStagingArea()
                guard
                    let narinfoFile = try cache.retrieve(
                        path.hashPart + ".narinfo", into: scratch.directory, with: fetcher)
                else {
                    misses?.record(path, in: cache)
                    continue
                }
                let info = try NarInfo(
                    parsing: try String(contentsOfFile: narinfoFile, encoding: .utf8), storeDirectory: store.directory,
                    source: source)
                guard info.storePath == path else {
                    throw CacheError("\(source): it is for \(store.directory.fullPath(of: info.storePath))")
                }
                // Signed by a trusted key, or content-addressed: its content is then checked against its address.
                let address = info.verifiedContentAddress(storeDirectory: store.directory)
                guard address != nil || info.isSigned(by: trusted, storeDirectory: store.directory) else {
                    throw CacheError("\(source): no signature by a trusted key")
                }
                for reference in info.references where reference != path {
                    guard try substitute(reference, depth: depth + 1) else {
                        throw CacheError("\(source): its reference \(reference.baseName) cannot be substituted")
                    }
                }
                try fetch(info, from: cache, source: source, address: address)
                onSubstituted(path, cache.url)
                return true
            } catch let error as CacheError {
                problems.append(error.description)
            } catch let error as FetchError {
                // Unreachable, or answering errors: asked no more in this run.
                dead.insert(cache.url)
                problems.append("\(cache.url): \(error.description); not asked again")
            } catch {
                problems.append("\(source): \(error)")
            }
        }
        return false
    }

    /// The caches by their `Priority` (lower first; 50, Nix's default, when unsaid), ties in the
    /// order given.
    private func ordered() throws -> [BinaryCache] {
        var priorities: [String: Int] = [:]
        for cache in caches where !dead.contains(cache.url) {
            do {
                if try usable(cache) { priorities[cache.url] = infos[cache.url]??.priority ?? 50 }
            } catch let error as FetchError {
                dead.insert(cache.url)
                problems.append("\(cache.url): \(error.description); not asked again")
            }
        }
        return caches.enumerated().filter { priorities[$0.element.url] != nil }
            .sorted { (priorities[$0.element.url]!, $0.offset) < (priorities[$1.element.url]!, $1.offset) }
            .map(\.element)
    }

    /// Whether `cache` is for this store's directory (its `nix-cache-info`, read once).
    private func usable(_ cache: BinaryCache) throws -> Bool {
        if infos[cache.url] == nil {
            var info: CacheInfo? = nil
            do {
                let scratch = try store.makeStagingArea()
                let read = try cache.cacheInfo(into: scratch.directory, with: fetcher)
                guard read.storeDirectory == store.directory.path else {
                    throw CacheError(
                        "\(cache.url): its paths are for \(read.storeDirectory), not \(store.directory.path); not used")
                }
                info = read
            } catch let error as CacheError {
                problems.append(error.description)
            }
            infos[cache.url] = info
        }
        return infos[cache.url]! != nil
    }

    /// Downloads, checks, unpacks and registers the path `info` describes.
    private func fetch(_ info: NarInfo, from cache: BinaryCache, source: String, address: ContentAddress?) throws {
        let staging = try store.makeStagingArea()
        let nar = try cache.verifiedNar(of: info, source: source, into: staging.directory, with: fetcher)
        let fd = try SystemCall.retrying("cannot open '\(nar)'") { open(nar, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        try NarReader.restore(from: fd, to: staging.tree)
        if let address, !(try Substituter.content(of: staging.tree, nar: info.narHash, matches: address)) {
            throw CacheError("\(source): its content is not what its content address says")
        }
        try store.addSubstitute(
            staging,
            as: PathInfo(
                path: info.storePath, narHash: info.narHash, narSize: info.narSize, references: info.references,
                deriver: info.deriver, contentAddress: address))
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
