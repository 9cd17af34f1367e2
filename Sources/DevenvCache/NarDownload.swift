import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation

/// The NAR file of a narinfo as it downloads from a remote cache, read by whoever decompresses it
/// as it arrives (`HTTPStream`), so the NAR is unpacked while it downloads and is never kept on
/// disk; what arrived is checked against the narinfo's `FileSize` and `FileHash` by `finish`,
/// before the path is registered. One attempt: bytes read cannot be taken back, so an
/// interrupted download is the caller's to fetch again whole, with retries.
final class NarDownload {
    /// The download did not complete; another attempt may.
    struct Interrupted: Error {}

    /// The NAR file as it arrives, for `NarStream`.
    let file: NarFile
    private let stream: HTTPStream
    private let info: NarInfo
    private let source: String
    private var finished = false

    init(url: String, request: HTTPRequest, limit: UInt64, info: NarInfo, source: String, fetcher: URLFetcher) throws {
        let stream = try fetcher.stream(url, limit: limit) { _ in request }
        self.stream = stream
        file = NarFile(name: "the download of \(url)") { stream.read(into: $0) }
        self.info = info
        self.source = source
    }

    /// A download abandoned without `finish` is stopped (a thread that decompresses it may still
    /// be reading).
    deinit { if !finished { stream.cancel() } }

    /// Reads what is left, and checks what arrived against the narinfo. Throws `Interrupted`
    /// when it did not complete, a `CacheError` when what arrived is not the narinfo's file.
    func finish() throws {
        finished = true
        try check(stream.finish())
    }

    /// Once what arrived could not be unpacked: throws as `finish` does when the download has
    /// ended (a NAR cut short is the download's fault), and reads nothing more when it goes on
    /// (what arrived is not a NAR, whatever follows; the download is stopped when this is dropped).
    func checkIfEnded() throws {
        if let outcome = stream.outcomeSoFar { try check(outcome) }
    }

    private func check(_ outcome: Result<(hash: Hash, size: UInt64), any Error>) throws {
        switch outcome {
        case .failure(let error as FetchError) where error.isNotFound:
            throw CacheError("\(source): its NAR \(info.url) is missing")
        case .failure(let error as DownloadTooLarge):
            throw CacheError("\(source): \(error.description)")
        case .failure:
            throw Interrupted()
        case .success(let arrived):
            if let fileSize = info.fileSize, arrived.size != fileSize {
                throw CacheError("\(source): its NAR file is not \(fileSize) bytes")
            }
            if let fileHash = info.fileHash, arrived.hash != fileHash {
                throw CacheError("\(source): its NAR file does not have the FileHash")
            }
        }
    }
}
