import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

/// The NAR file of a narinfo as it downloads from a remote cache: a thread of its own downloads
/// it into a socket whose other end `file` reads, so the NAR is unpacked while it arrives and is
/// never kept on disk; what arrived is checked against the narinfo's `FileSize` and `FileHash`
/// by `finish`, before the path is registered. One attempt: bytes read cannot be taken back, so
/// an interrupted download is the caller's to fetch again whole, with retries.
final class NarDownload {
    /// The download did not complete; another attempt may.
    struct Interrupted: Error {}

    /// The NAR file as it arrives, for `NarStream`.
    let file: FileReader
    private let info: NarInfo
    private let source: String
    private let arrival = Arrival()
    private var settled: Result<(hash: Hash, size: UInt64), any Error>?

    init(url: String, request: HTTPRequest, limit: UInt64, info: NarInfo, source: String, fetcher: URLFetcher) throws {
        var ends: [Int32] = [0, 0]
        try SystemCall.retrying("cannot make a socket pair") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends)
        }
        // Room for a few of the download's writes, so it rarely waits for the reader.
        var room: Int32 = 1 << 20
        setsockopt(ends[1], SOL_SOCKET, SO_SNDBUF, &room, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(ends[0], SOL_SOCKET, SO_RCVBUF, &room, socklen_t(MemoryLayout<Int32>.size))
        file = FileReader(descriptor: ends[0], name: "the download of \(url)")
        self.info = info
        self.source = source
        let writing = ends[1]
        Thread.detachNewThread { [arrival] in
            // Once the reader has given up, writing fails with EPIPE; the signal that comes with it
            // is this thread's, and blocked.
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            let result = Result { try fetcher.stream(url, into: writing, limit: limit) { _ in request } }
            close(writing)
            arrival.settle(result)
        }
    }

    /// A download abandoned without `finish` is stopped.
    deinit {
        if settled == nil {
            shutdown(file.fd, Int32(SHUT_RDWR))
            _ = arrival.wait()
        }
    }

    /// Reads what is left, waits for the download and checks it against the narinfo. Throws
    /// `Interrupted` when it did not complete, a `CacheError` when what arrived is not the
    /// narinfo's file.
    func finish() throws {
        if settled == nil {
            try withUnsafeTemporaryAllocation(byteCount: 1 << 16, alignment: 16) { buffer in
                while try file.read(into: buffer) > 0 {}
            }
            settled = arrival.wait()
        }
        switch settled! {
        case .failure(let error as FetchError) where error.isNotFound:
            throw CacheError("\(source): its NAR \(info.url) is missing")
        case .failure(let error as DownloadTooLarge):
            throw CacheError(error.description)
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

/// What the download thread ended with.
private final class Arrival: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<(hash: Hash, size: UInt64), any Error>?

    func settle(_ result: Result<(hash: Hash, size: UInt64), any Error>) {
        condition.lock()
        self.result = result
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Result<(hash: Hash, size: UInt64), any Error> {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
