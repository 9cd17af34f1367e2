import CCurl
import DevenvBasics
import DevenvStore
import Foundation

/// A download read as it arrives, by the thread that reads it: libcurl's multi interface is asked
/// for more whenever the reader wants more, and puts what arrives straight into the reader's
/// buffer, with no thread or socket in between (a NAR is decompressed and unpacked as it
/// downloads). One attempt: a failure ends the bytes early, and `finish` says what it was.
public final class HTTPStream: @unchecked Sendable {
    private let transfer: HTTPTransfer
    private let prepared: HTTPTransfer.Prepared
    private let multi: UnsafeMutableRawPointer
    private let url: String
    private let limit: UInt64
    private let progress: any FetchProgress
    private let id: Int
    private let start = Date()
    /// Where the bytes `body` holds for the next read start.
    private var offset = 0
    /// Reads come from one thread at a time, but `finish` may come from another while a
    /// read-ahead thread is still reading (after an error).
    private let lock = NSLock()
    /// Set by `cancel`, and how the download ended: asked from any thread, under a lock of their
    /// own (a read holds `lock` while it waits).
    private var cancelled = false
    private var outcome: Result<(hash: Hash, size: UInt64), any Error>?
    private let status = NSLock()

    init(
        _ url: String, limit: UInt64, stallSeconds: Int, environment: [String: String], request: HTTPRequest, id: Int,
        progress: any FetchProgress
    ) throws {
        transfer = HTTPTransfer(into: nil, algorithm: .sha256, id: id, progress: progress)
        transfer.limit = limit
        transfer.stallSeconds = stallSeconds
        prepared = try HTTPTransfer.Prepared(transfer, url: url, environment: environment, request: request)
        guard let multi = CurlHandles.multi.take() else {
            throw HTTPTransfer.Failure(message: "cannot initialize libcurl", transient: false)
        }
        self.multi = multi
        curl_multi_add_handle(multi, prepared.handle)
        self.url = url
        self.limit = limit
        self.progress = progress
        self.id = id
        progress.started(id, url: url, total: nil)
    }

    deinit {
        curl_multi_remove_handle(multi, prepared.handle)
        CurlHandles.multi.give(multi)
    }

    /// Puts the next bytes at the start of `buffer`; how many, 0 at the end (also when the
    /// download failed: `finish` says so).
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        lock.withLock {
            if transfer.body.count > offset { return transfer.take(from: &offset, into: buffer) }
            transfer.target = buffer
            transfer.targetFilled = 0
            defer { transfer.target = nil }
            if transfer.paused {
                // The block held back comes first, into this buffer.
                transfer.paused = false
                curl_easy_pause(prepared.handle, CURLPAUSE_CONT)
            }
            while transfer.targetFilled == 0 && transfer.body.isEmpty {
                let (ended, givenUp) = status.withLock { (outcome != nil, cancelled) }
                if ended { break }
                if givenUp {
                    end(.failure(FetchError("\(url): the download was given up")), error: "given up")
                    break
                }
                var running: Int32 = 0
                curl_multi_perform(multi, &running)
                if running == 0 {
                    conclude()
                } else if transfer.targetFilled == 0 && transfer.body.isEmpty {
                    curl_multi_poll(multi, nil, 0, 1000, nil)
                }
            }
            if transfer.targetFilled > 0 { return transfer.targetFilled }
            return transfer.body.isEmpty ? 0 : transfer.take(from: &offset, into: buffer)
        }
    }

    /// Ends the download: reads (from any thread) give nothing more.
    public func cancel() {
        status.withLock { cancelled = true }
        curl_multi_wakeup(multi)
    }

    /// How the download ended, or nil while it goes on; nothing is read, and a read in progress
    /// is not waited for.
    public var outcomeSoFar: Result<(hash: Hash, size: UInt64), any Error>? { status.withLock { outcome } }

    /// Reads what is left; the SHA-256 and size of what arrived, or why the download failed
    /// (`FetchError`, `DownloadTooLarge`).
    public func finish() -> Result<(hash: Hash, size: UInt64), any Error> {
        withUnsafeTemporaryAllocation(byteCount: 1 << 16, alignment: 16) { buffer in
            while read(into: buffer) > 0 {}
        }
        return outcomeSoFar!
    }

    private func conclude() {
        var left: Int32 = 0
        var result = CURLE_OK
        while let message = curl_multi_info_read(multi, &left) {
            if message.pointee.msg == CURLMSG_DONE { result = message.pointee.data.result }
        }
        do {
            try transfer.conclude(result, prepared)
            end(.success((transfer.hasher.finalize(), transfer.received)), error: nil)
        } catch let failure as HTTPTransfer.Failure {
            end(
                .failure(
                    failure.tooLarge
                        ? DownloadTooLarge(url: url, limit: limit)
                        : FetchError("\(url): \(failure.message)", isNotFound: failure.notFound)),
                error: failure.message)
        } catch {
            end(.failure(error), error: "\(error)")
        }
    }

    /// Settles the download and says so to `progress`, whatever ended it.
    private func end(_ outcome: Result<(hash: Hash, size: UInt64), any Error>, error: String?) {
        status.withLock { self.outcome = outcome }
        progress.finished(
            id, url: url, received: transfer.received, seconds: Date().timeIntervalSince(start), error: error)
    }
}
