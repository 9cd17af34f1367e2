import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation

extension BinaryCache {
    /// Checks every narinfo of this (file://) cache: that it reads, is named for its path, is
    /// signed by one of `trusted` or content-addressed (when keys are given), that its NAR has its hashes and sizes,
    /// and that its references are in the cache. Returns how many were checked and what is
    /// broken, one line each.
    public func verify(trusted: [TrustedKey], scratch: String, fetcher: URLFetcher) throws
        -> (checked: Int, problems: [String])
    {
        guard isLocal else { throw CacheError("\(url): devenv verifies file:// caches (HTTP has no listing)") }
        // The paths are read as of the store directory the cache says it is for.
        let storeDirectory = StoreDirectory(try cacheInfo(into: scratch, with: fetcher).storeDirectory)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".narinfo") }
            .sorted()
        var problems: [String] = []
        for name in names {
            let source = url + "/" + name
            do {
                let info = try NarInfo(
                    parsing: try String(contentsOfFile: directory + "/" + name, encoding: .utf8),
                    storeDirectory: storeDirectory, source: source)
                guard name == info.storePath.hashPart + ".narinfo" else {
                    throw CacheError("\(source): it is for \(storeDirectory.fullPath(of: info.storePath))")
                }
                if !trusted.isEmpty && info.verifiedContentAddress(storeDirectory: storeDirectory) == nil
                    && !info.isSigned(by: trusted, storeDirectory: storeDirectory)
                {
                    problems.append("\(source): no signature by a trusted key")
                }
                for reference in info.references where file(reference.hashPart + ".narinfo") == nil {
                    problems.append("\(source): its reference \(reference.baseName) is not in the cache")
                }
                let file = try verifiedFile(of: info, source: source, into: scratch, with: fetcher)
                try NarStream(file: file, info: info, source: source).finish()
            } catch let error as CacheError {
                problems.append(error.description)
            }
        }
        return (names.count, problems)
    }
}
