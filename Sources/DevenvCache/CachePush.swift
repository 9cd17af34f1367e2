import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

extension BinaryCache {
    /// Copies the closures of `paths` from `store` into this cache as `nix copy --to …` does,
    /// signed with `keys`: NARs compressed with `compression` (or not at all) as they are dumped,
    /// several at once (`jobs`: the cores to use),
    /// each before its narinfo, so a reader never finds a narinfo whose NAR is missing; paths the
    /// cache has are not pushed again (one request each), but their narinfos are given the
    /// signatures of `keys` they lack. file:// writes the directory; http(s):// PUTs, with `token`
    /// as a bearer token; s3:// PUTs signed objects.
    @discardableResult
    public func push(
        _ paths: [StorePath], from store: Store, signedWith keys: [SigningKey], compression: Compressor.Method? = .zstd,
        fetcher: URLFetcher? = nil, token: String? = nil, jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> Pushed {
        let fetcher = fetcher ?? URLFetcher(store: store)
        let scratch = try store.makeStagingArea()
        if isLocal {
            try OwnFiles.directory(directory)
            try OwnFiles.directory(directory + "/nar")
        }
        if let existing = try retrieve("nix-cache-info", with: fetcher) {
            let info = try CacheInfo(parsing: existing, source: url)
            guard info.storeDirectory == store.directory.path else {
                throw CacheError("\(url) holds paths of \(info.storeDirectory), not \(store.directory.path)")
            }
        } else {
            try put(
                Array(CacheInfo(storeDirectory: store.directory.path).text.utf8), as: "nix-cache-info",
                scratch: scratch.directory, fetcher: fetcher, token: token)
        }
        var absent: [PathInfo] = []
        var signedAgain: [NarInfo] = []
        var warnings: [String] = []
        let closure = try store.closure(of: paths)
        for pathInfo in closure {
            let name = pathInfo.path.hashPart + ".narinfo"
            guard let text = try retrieve(name, with: fetcher) else {
                absent.append(pathInfo)
                continue
            }
            guard !keys.isEmpty else { continue }
            do {
                if let info = try signing(text, source: url + "/" + name, of: pathInfo, with: keys, store: store) {
                    signedAgain.append(info)
                }
            } catch {
                warnings.append("\(error); not signed")
            }
        }
        let missing = absent
        let failures = Failures()
        let narinfos = Narinfos(count: missing.count)
        // Paths side by side, and the cores left over compress each one.
        let workers = min(max(1, jobs), max(1, missing.count))
        let threads = max(1, jobs / workers)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: missing.count, by: workers) where !failures.any {
                do {
                    narinfos.set(
                        index,
                        try pushNar(
                            missing[index], from: store, signedWith: keys, compression: compression, threads: threads,
                            fetcher: fetcher, token: token))
                } catch {
                    failures.record(error)
                }
            }
        }
        if let first = failures.first { throw first }
        // Then the narinfos, in the closure's order (references first): a reader never finds a
        // narinfo whose NAR or references are missing, even after a push that failed half-way.
        for (pathInfo, text) in zip(missing, narinfos.all) {
            try put(
                Array(text.utf8), as: pathInfo.path.hashPart + ".narinfo", scratch: scratch.directory,
                fetcher: fetcher, token: token)
        }
        for info in signedAgain {
            try put(
                Array(info.text(storeDirectory: store.directory).utf8), as: info.storePath.hashPart + ".narinfo",
                scratch: scratch.directory, fetcher: fetcher, token: token)
        }
        return Pushed(
            written: missing.map(\.path), alreadyThere: closure.count - missing.count,
            signed: signedAgain.map(\.storePath), warnings: warnings)
    }

    /// The cache's narinfo `text` for a path of `store` with the signatures of `keys` it lacks
    /// added, as `nix store sign` adds them (how a key joins or replaces another without pushing
    /// again); nil when it has them all. Throws when it does not read, or describes another NAR
    /// than the store's: signing that would vouch for content this store never checked.
    private func signing(
        _ text: String, source: String, of pathInfo: PathInfo, with keys: [SigningKey], store: Store
    ) throws -> NarInfo? {
        var info = try NarInfo(parsing: text, storeDirectory: store.directory, source: source)
        guard
            info.storePath == pathInfo.path && info.narHash == pathInfo.narHash && info.narSize == pathInfo.narSize
                && Set(info.references) == Set(pathInfo.references)
        else {
            throw CacheError(
                "\(source): another NAR of \(store.directory.fullPath(of: pathInfo.path)) than this store's "
                    + "(its hash, size or references differ)")
        }
        let before = info.signatures
        for key in keys { try info.sign(with: key, storeDirectory: store.directory) }
        return info.signatures == before ? nil : info
    }

    /// Writes one path's NAR (compressed by `threads` threads); returns its narinfo, signed.
    private func pushNar(
        _ pathInfo: PathInfo, from store: Store, signedWith keys: [SigningKey], compression: Compressor.Method?,
        threads: Int, fetcher: URLFetcher, token: String?
    ) throws -> String {
        // Made beside the cache's files when they are local (renamed into place), else in the store.
        let staging = isLocal ? nil : try store.makeStagingArea()
        let file =
            (staging.map { $0.directory + "/nar" } ?? directory + "/nar/.push-\(getpid())-\(pathInfo.path.hashPart)")
            + (compression?.fileExtension ?? "")
        defer { unlink(file) }
        // The NAR is hashed as it is dumped (the store's record must still hold) and compressed
        // on the way: it is never on disk uncompressed.
        let narHash: Hash
        let source = store.directory.fullPath(of: pathInfo.path)
        if let compression {
            let compressor = try Compressor(to: file, with: compression, threads: threads)
            let writer = NarWriter(sink: TeeSink(compressor, HashingSink(.sha256)))
            try writer.dump(source)
            try compressor.finish()
            narHash = writer.sink.second.finalize()
        } else {
            let fd = try SystemCall.retrying("cannot write '\(file)'") {
                open(file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
            }
            defer { close(fd) }
            let writer = NarWriter(sink: TeeSink(FileDescriptorSink(fd: fd), HashingSink(.sha256)))
            try writer.dump(source)
            narHash = writer.sink.second.finalize()
        }
        guard narHash == pathInfo.narHash else {
            throw CacheError("\(source) no longer has its NAR hash; run `devenv store verify`")
        }
        let fileHash = compression == nil ? narHash : try FileTree.hashContents(of: file, algorithm: .sha256)
        let fileSize = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) ?? 0
        let nar = "nar/\(fileHash.nix32).nar" + (compression?.fileExtension ?? "")
        try put(file: file, sha256: fileHash, as: nar, fetcher: fetcher, token: token)
        var info = NarInfo(
            describing: pathInfo, url: nar, compression: compression?.rawValue ?? "none", fileHash: fileHash,
            fileSize: fileSize)
        for key in keys { try info.sign(with: key, storeDirectory: store.directory) }
        return info.text(storeDirectory: store.directory)
    }

    /// Puts `bytes` at `key`, through a file in `scratch` when the cache is not local.
    private func put(_ bytes: [UInt8], as key: String, scratch: String, fetcher: URLFetcher, token: String?) throws {
        if isLocal { return try OwnFiles.replace(directory + "/" + key, with: bytes) }
        let file = scratch + "/.put-\(key.replacingOccurrences(of: "/", with: "_"))"
        try OwnFiles.replace(file, with: bytes)
        defer { unlink(file) }
        try put(file: file, sha256: Hasher.hash(.sha256, bytes), as: key, fetcher: fetcher, token: token)
    }

    /// Puts the file `file` (whose SHA-256 is `sha256`) at `key`: renamed into a local cache,
    /// else sent with a PUT.
    private func put(file: String, sha256: Hash, as key: String, fetcher: URLFetcher, token: String?) throws {
        if isLocal {
            try SystemCall.retrying("cannot write '\(key)'") { rename(file, directory + "/" + key) }
        } else if let s3 {
            let request = try s3.request("PUT", key: key, payload: sha256.base16, environment: fetcher.environment)
            try fetcher.upload(file, to: s3.url(of: key)) { _ in request }
        } else {
            let headers = token.map { ["Authorization: Bearer \($0)"] } ?? []
            try fetcher.upload(file, to: url + "/" + key) { _ in HTTPRequest(headers: headers) }
        }
    }
}

/// What a push did: the paths whose NARs and narinfos it wrote, how many of the closure's paths
/// the cache had already, those whose narinfos it signed with keys they lacked, and why any it
/// left unsigned.
public struct Pushed: Sendable {
    public var written: [StorePath]
    public var alreadyThere: Int
    public var signed: [StorePath]
    public var warnings: [String]
}

/// The narinfos parallel work made, each at its index.
private final class Narinfos: @unchecked Sendable {
    private let lock = NSLock()
    private var texts: [String]

    init(count: Int) { texts = Array(repeating: "", count: count) }

    var all: [String] { lock.withLock { texts } }

    func set(_ index: Int, _ text: String) { lock.withLock { texts[index] = text } }
}
