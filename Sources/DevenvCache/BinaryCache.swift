import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

/// A binary cache in Nix's layout: a directory (`file:///…`, as `nix copy --to file://…` writes
/// one), the same layout over HTTP (`http://…`, `https://…`) or in an S3 bucket (`s3://…`).
public struct BinaryCache: Sendable, Equatable {
    public let url: String
    /// The directory of a file:// cache (empty otherwise).
    let directory: String
    /// The bucket of an s3:// cache.
    let s3: S3Bucket?

    public init(url: String) throws {
        // No URL has them (RFC 3986), and a project's devenv.toml could hide a cache it suggests
        // from `devenv allow`'s list with them (a carriage return, an escape sequence). A file://
        // cache's directory is a path as written, which may have spaces.
        let local = url.hasPrefix("file://")
        if let odd = url.unicodeScalars.first(where: {
            ($0.properties.isWhitespace && !(local && $0 == " "))
                || [.control, .format].contains($0.properties.generalCategory)
        }) {
            throw CacheError(
                "\(url.debugDescription) is not a URL: it holds \(String(format: "U+%04X", odd.value))")
        }
        var base = url
        while base.hasSuffix("/") && !base.hasSuffix("://") { base.removeLast() }
        s3 = base.hasPrefix("s3://") ? try S3Bucket(url: base) : nil
        if base.hasPrefix("file:///") {
            directory = String(base.dropFirst("file://".count))
        } else if base.hasPrefix("http://") || base.hasPrefix("https://") || s3 != nil {
            directory = ""
        } else {
            throw CacheError(
                "\(url.debugDescription) is not a binary cache devenv can read (file:///DIRECTORY, http://…, https://… or s3://BUCKET)"
            )
        }
        self.url = base
    }

    var isLocal: Bool { !directory.isEmpty }

    /// The file at `relative` in a file:// cache (a relative path of plain names), or nil.
    func file(_ relative: String) -> String? {
        let path = directory + "/" + relative
        return isLocal && FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The cache's `nix-cache-info`.
    public func cacheInfo(with fetcher: URLFetcher) throws -> CacheInfo {
        guard let text = try retrieve("nix-cache-info", with: fetcher) else {
            throw CacheError("\(url): it has no nix-cache-info")
        }
        return try CacheInfo(parsing: text, source: url + "/nix-cache-info")
    }

    /// The NAR file of `info` as the cache has it (compressed), fetched into `scratch` when it is
    /// not local: it must have the narinfo's `FileSize` and `FileHash` (when given; a download is
    /// hashed as it arrives).
    func verifiedFile(of info: NarInfo, source: String, into scratch: String, with fetcher: URLFetcher) throws
        -> String
    {
        let limit = fileLimit(of: info)
        let found: (file: String, sha256: Hash?)?
        if isLocal {
            do {
                found = try localFile(info.url, limit: limit).map { ($0, nil) }
            } catch let error as CacheError {
                throw CacheError("\(source): \(error.description)")
            }
        } else {
            let target = scratch + "/" + info.url.replacingOccurrences(of: "/", with: "_")
            unlink(target)
            found = try remote(info.url, with: fetcher) { url, request in
                (target, try fetcher.download(url, to: target, expecting: nil, limit: limit) { _ in request })
            }
        }
        guard let (file, arrived) = found else { throw CacheError("\(source): its NAR \(info.url) is missing") }
        if let fileSize = info.fileSize,
            (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) != fileSize
        {
            throw CacheError("\(source): its NAR file is not \(fileSize) bytes")
        }
        if let fileHash = info.fileHash {
            let actual =
                arrived?.algorithm == fileHash.algorithm
                ? arrived! : try FileTree.hashContents(of: file, algorithm: fileHash.algorithm)
            guard actual == fileHash else { throw CacheError("\(source): its NAR file does not have the FileHash") }
        }
        return file
    }

    /// The NAR file of `info` as it downloads from a remote cache, for unpacking while it arrives;
    /// nil when it is local, or when its `FileHash` is not a SHA-256 (which downloads compute).
    func narDownload(of info: NarInfo, source: String, with fetcher: URLFetcher) throws -> NarDownload? {
        guard !isLocal, info.fileHash.map({ $0.algorithm == .sha256 }) ?? true else { return nil }
        let (url, request) = try location(of: info.url, with: fetcher)
        return try NarDownload(
            url: url, request: request, limit: fileLimit(of: info), info: info, source: source, fetcher: fetcher)
    }

    /// No bigger than it says, or than its NAR could be compressed into.
    private func fileLimit(of info: NarInfo) -> UInt64 {
        info.fileSize ?? (info.narSize + info.narSize / 16 + (1 << 20))
    }

    /// Where a remote cache's `relative` is downloaded from, and the request for it (signed, for S3).
    private func location(of relative: String, with fetcher: URLFetcher) throws -> (url: String, request: HTTPRequest) {
        guard let s3 else { return (url + "/" + relative, HTTPRequest()) }
        return (s3.url(of: relative), try s3.request("GET", key: relative, environment: fetcher.environment))
    }

    /// The most a narinfo or `nix-cache-info` may be (Nix's are a few hundred bytes).
    static let metadataLimit: UInt64 = 1 << 20

    /// The text the cache has at `relative` (a narinfo or `nix-cache-info`, downloaded into
    /// memory as Nix does: it is read at once, and a file for it would be written only to be read
    /// back); nil when the cache has none.
    func retrieve(_ relative: String, with fetcher: URLFetcher) throws -> String? {
        let limit = BinaryCache.metadataLimit
        let bytes: [UInt8]?
        if isLocal {
            bytes = try localFile(relative, limit: limit).map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        } else {
            bytes = try remote(relative, with: fetcher) { url, request in
                try fetcher.contents(of: url, limit: limit) { _ in request }
            }
        }
        guard let bytes else { return nil }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CacheError("\(url)/\(relative): it is not UTF-8 text")
        }
        return text
    }

    /// The file at `relative` in a file:// cache, which must not be larger than `limit`; nil when
    /// there is none. A link there is followed (a cache may be laid out with them), so what it
    /// leads to is what is checked: a regular file (not a device or a pipe, which never end).
    private func localFile(_ relative: String, limit: UInt64) throws -> String? {
        guard let path = file(relative) else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, SystemCall.isRegular(info) else {
            throw CacheError("\(url)/\(relative): not a regular file")
        }
        guard info.st_size <= limit else { throw CacheError("\(url)/\(relative): larger than \(limit) bytes") }
        return path
    }

    /// What `download` makes of the URL and request of `relative` in a remote cache; nil when the
    /// cache has none.
    private func remote<T>(
        _ relative: String, with fetcher: URLFetcher, _ download: (String, HTTPRequest) throws -> T
    ) throws -> T? {
        do {
            let (source, request) = try location(of: relative, with: fetcher)
            return try download(source, request)
        } catch let error as FetchError where error.isNotFound {
            return nil
        } catch let error as DownloadTooLarge {
            throw CacheError(error.description)
        }
    }
}
