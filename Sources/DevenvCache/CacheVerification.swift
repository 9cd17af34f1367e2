import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation

extension BinaryCache {
    /// How many paths `verify` checks at most (a cache is not trusted to end its closures).
    static let maximumVerified = 100_000

    /// Checks narinfos of this cache: every one of a file:// cache, or the closures of `paths`
    /// (full paths of the cache's store directory; an HTTP or S3 cache has no listing). Each must
    /// read, be named for its path, be signed by one of `trusted` or content-addressed (when keys
    /// are given), have a NAR with its hashes and sizes, and have its references in the cache.
    /// Returns how many were checked and what is broken, one line each.
    public func verify(trusted: [TrustedKey], paths: [String] = [], scratch: String, fetcher: URLFetcher) throws
        -> (checked: Int, problems: [String])
    {
        // The paths are read as of the store directory the cache says it is for.
        let storeDirectory = StoreDirectory(try cacheInfo(with: fetcher).storeDirectory)
        var pending: [String]
        if paths.isEmpty {
            guard isLocal else {
                throw CacheError("\(url): it has no listing; name the store paths whose closures to check")
            }
            pending = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".narinfo") }.map { String($0.dropLast(".narinfo".count)) }
        } else {
            pending = try paths.map { try storeDirectory.storePath(parsing: $0).hashPart }
        }
        pending.sort()
        var known = Set(pending)
        var problems: [String] = []
        var checked = 0
        /// The cache's narinfo for a hash part, if it has one: asked once each, so a reference
        /// checked for its referrer is not downloaded again when it is checked itself.
        var narinfos: [String: String?] = [:]
        func narinfo(_ hashPart: String) throws -> String? {
            if let known = narinfos[hashPart] { return known }
            let text = try retrieve(hashPart + ".narinfo", with: fetcher)
            narinfos[hashPart] = text
            return text
        }
        while checked < pending.count {
            let hashPart = pending[checked]
            checked += 1
            let source = url + "/" + hashPart + ".narinfo"
            do {
                guard let text = try narinfo(hashPart) else {
                    problems.append("\(source): not in the cache")
                    continue
                }
                let info = try NarInfo(parsing: text, storeDirectory: storeDirectory, source: source)
                guard hashPart == info.storePath.hashPart else {
                    throw CacheError("\(source): it is for \(storeDirectory.fullPath(of: info.storePath))")
                }
                if !trusted.isEmpty && info.verifiedContentAddress(storeDirectory: storeDirectory) == nil
                    && !info.isSigned(by: trusted, storeDirectory: storeDirectory)
                {
                    problems.append("\(source): no signature by a trusted key")
                }
                for reference in info.references where reference != info.storePath {
                    if try narinfo(reference.hashPart) == nil {
                        problems.append("\(source): its reference \(reference.baseName) is not in the cache")
                    } else if !paths.isEmpty, known.insert(reference.hashPart).inserted {
                        guard pending.count < BinaryCache.maximumVerified else {
                            throw CacheError("\(source): closures larger than \(BinaryCache.maximumVerified) paths")
                        }
                        pending.append(reference.hashPart)
                    }
                }
                let nar = try verifiedFile(of: info, source: source, into: scratch, with: fetcher)
                try NarStream(file: FileReader(nar).narFile, info: info, source: source).finish()
                if !isLocal { unlink(nar) }
            } catch let error as CacheError {
                problems.append(error.description)
            } catch {
                // One broken path (a NAR the reader refuses, a narinfo that is not text) is a problem of its own.
                problems.append("\(source): \(error)")
            }
        }
        return (checked, problems)
    }
}
