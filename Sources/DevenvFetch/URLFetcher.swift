import DevenvBasics
import DevenvStore
import Foundation
import Glibc

/// A file to download, pinned by the hash of its bytes, and the name its store path gets.
public struct URLSource: Hashable, Sendable {
    public var url: String
    public var hash: Hash
    public var name: String

    public init(url: String, hash: Hash, name: String? = nil) {
        self.url = url
        self.hash = hash
        self.name = name ?? URLSource.name(forURL: url)
    }

    /// The URL's last path component, with every byte a store path name cannot hold replaced by `_`.
    public static func name(forURL url: String) -> String {
        let path = url.split(separator: "?").first.map(String.init) ?? ""
        let afterHost = path.components(separatedBy: "://").last?.split(separator: "/").dropFirst() ?? []
        let last = afterHost.last.map(String.init) ?? ""
        let cleaned = String(
            last.map { $0.isASCII && ($0.isLetter || $0.isNumber || "+-._?=".contains($0)) ? $0 : "_" })
        let trimmed = cleaned.drop { $0 == "." }
        return trimmed.isEmpty ? "download" : String(trimmed.prefix(StorePath.maxNameLength))
    }
}

/// Downloads files into the store as flat content-addressed paths (like Nix's `fetchurl`), so
/// the same bytes are never fetched twice. Mirrors are tried before the original URL, transient
/// failures are retried with backoff, and nothing becomes valid unless it has the pinned hash.
public final class URLFetcher: Sendable {
    let store: Store
    let settings: FetchSettings
    let progress: any FetchProgress
    public let environment: [String: String]
    /// At most `settings.parallelDownloads` downloads at once across all this fetcher does (the
    /// realizer shares one fetcher among the derivations it builds in parallel).
    private let slots = DispatchSemaphore(value: 0)

    public init(
        store: Store, settings: FetchSettings = FetchSettings(), progress: any FetchProgress = SilentProgress(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.store = store
        self.settings = settings
        self.progress = progress
        self.environment = environment
        // Signalled up from zero: libdispatch refuses to free a semaphore below its initial value.
        for _ in 0..<max(1, settings.parallelDownloads) { slots.signal() }
    }

    /// The store path `source` has once fetched; computable before anything is downloaded.
    public func storePath(of source: URLSource) throws -> StorePath {
        try store.directory.path(for: .fixed(recursive: false, hash: source.hash), name: source.name)
    }

    public func fetch(_ source: URLSource) throws -> StorePath {
        let path = try storePath(of: source)
        if try store.isValid(path) { return path }
        let staging = try store.makeStagingArea()
        defer { staging.discard() }
        slots.wait()
        defer { slots.signal() }
        try download(source, to: staging.tree)
        return try store.addContentAddressed(staging, name: source.name, recursive: false, expected: source.hash)
    }

    /// Fetches every source, `settings.parallelDownloads` at a time; the first failure (in the
    /// order given) is thrown once all have ended.
    public func fetchAll(_ sources: [URLSource]) throws -> [StorePath] {
        try Threads.map(sources, threads: sources.count) { [self] in try fetch($0) }
    }

    /// Downloads into the new file `file`, trying each candidate URL with retries, until one
    /// delivers the pinned hash.
    private func download(_ source: URLSource, to file: String) throws {
        try download(source.url, to: file, expecting: source.hash)
    }

    /// Downloads `url` into the new file `file` (mirrors first, retries), checked against `hash`;
    /// without one, what arrives is the caller's to verify (a signed index, say) before any use.
    /// `request` gives the headers to send to each URL tried; past `limit` bytes the download
    /// stops with `DownloadTooLarge`. Returns the hash of what arrived (in `hash`'s algorithm,
    /// else SHA-256), computed as it arrived.
    @discardableResult
    public func download(
        _ url: String, to file: String, expecting hash: Hash?, limit: UInt64? = nil,
        request: (String) -> HTTPRequest = { _ in HTTPRequest() }
    ) throws -> Hash {
        let fd = try SystemCall.retrying("cannot create '\(file)'") {
            open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        defer { close(fd) }
        return try transfer(
            url, candidates: settings.candidates(for: url), into: .file(fd, name: file), expecting: hash, limit: limit,
            request: request
        ).hash
    }

    /// What is at `url`, kept in memory: a small file such as a narinfo, which is read at once
    /// and never needs a name (mirrors first, retries; past `limit` bytes, `DownloadTooLarge`).
    /// A server that sends nothing within the stall timeout is not asked again: a cache that hangs
    /// costs one timeout, not one per attempt.
    public func contents(
        of url: String, limit: UInt64, request: (String) -> HTTPRequest = { _ in HTTPRequest() }
    ) throws -> [UInt8] {
        try transfer(
            url, candidates: settings.candidates(for: url), into: .memory, expecting: nil, limit: limit,
            retryingTimeouts: false, request: request
        ).body
    }

    /// `url` read as it arrives (`HTTPStream`), from the first place it may come from (a mirror,
    /// when one is set), in one attempt: bytes already read cannot be taken back, so the caller
    /// downloads again with `download` when this fails.
    public func stream(_ url: String, limit: UInt64, request: (String) -> HTTPRequest = { _ in HTTPRequest() }) throws
        -> HTTPStream
    {
        let first = settings.candidates(for: url).first ?? url
        do {
            return try HTTPStream(
                first, limit: limit, stallSeconds: settings.stallTimeout, environment: environment,
                request: request(first), id: TransferIDs.next(),
                progress: progress)
        } catch let failure as HTTPTransfer.Failure {
            throw FetchError("\(first): \(failure.message)")
        }
    }

    /// Sends the file `file` to `url` with a PUT (retried when the failure is transient; no
    /// mirrors), with the headers `request` gives. The answer is read up to 4 MiB: a server that
    /// sends more (or never ends it) fails the upload instead of holding it forever.
    public func upload(_ file: String, to url: String, request: (String) -> HTTPRequest = { _ in HTTPRequest() })
        throws
    {
        let answer = try SystemCall.retrying("cannot open /dev/null") { open("/dev/null", O_WRONLY | O_CLOEXEC) }
        defer { close(answer) }
        try transfer(url, candidates: [url], into: .discarded(answer), expecting: nil, limit: 4 << 20) { candidate in
            var made = request(candidate)
            made.upload = file
            return made
        }
    }

    /// One request to `url` whatever the answer's status (an OCI registry's protocol reads
    /// statuses and headers); the body is kept up to `limit` bytes. Only failures to connect
    /// are errors, and only those are retried.
    public func exchange(_ url: String, request: HTTPRequest, limit: Int = 4 << 20) throws -> HTTPResponse {
        var delay = settings.backoff
        for attempt in 1...max(1, settings.attempts) {
            let transfer = HTTPTransfer(into: nil, algorithm: .sha256, id: TransferIDs.next(), progress: progress)
            transfer.limit = UInt64(limit)
            transfer.stallSeconds = settings.stallTimeout
            transfer.acceptsAnyStatus = true
            do {
                try transfer.run(url, environment: environment, request: request)
            } catch let failure as HTTPTransfer.Failure {
                guard failure.transient && attempt < settings.attempts else {
                    throw FetchError(
                        "\(request.method ?? (request.upload == nil ? "GET" : "PUT")) \(url): \(failure.message)")
                }
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
                continue
            }
            return HTTPResponse(status: transfer.status, headers: transfer.responseHeaders, body: transfer.body)
        }
        throw FetchError("\(url): no answer")
    }

    /// Tries each candidate URL with retries (`attempts`, else the settings') until one answers
    /// (with `hash`, when given); what arrives goes `into` its destination. Returns the hash of
    /// what arrived and its size.
    @discardableResult
    private func transfer(
        _ url: String, candidates: [String], into destination: Destination, expecting hash: Hash?,
        limit: UInt64?, attempts: Int? = nil, retryingTimeouts: Bool = true, request: (String) -> HTTPRequest
    ) throws -> (hash: Hash, size: UInt64, body: [UInt8]) {
        let attempts = attempts ?? settings.attempts
        let fd = destination.fd
        let source = URLSource(url: url, hash: hash ?? Hasher.hash(.sha256, [UInt8]()))
        var failures: [String] = []
        var notFound = true
        // The named file is new: only what an attempt before wrote is cut off. (Truncating a file
        // makes ext4 write it to disk as soon as it is closed, a disk write for each narinfo.)
        var started = false
        for url in candidates {
            var delay = settings.backoff
            for attempt in 1...max(1, attempts) {
                if case .file(let fd, let file) = destination, started {
                    try SystemCall.retrying("cannot truncate '\(file)'") { ftruncate(fd, 0) }
                    lseek(fd, 0, SEEK_SET)
                }
                started = true
                let id = TransferIDs.next()
                let transfer = HTTPTransfer(into: fd, algorithm: source.hash.algorithm, id: id, progress: progress)
                transfer.limit = limit
                transfer.stallSeconds = settings.stallTimeout
                let start = Date()
                progress.started(id, url: url, total: nil)
                do {
                    try transfer.run(url, environment: environment, request: request(url))
                } catch let failure as HTTPTransfer.Failure where failure.tooLarge {
                    progress.finished(
                        id, url: url, received: transfer.received, seconds: Date().timeIntervalSince(start),
                        error: failure.message)
                    throw DownloadTooLarge(url: url, limit: limit ?? 0)
                } catch let failure as HTTPTransfer.Failure {
                    progress.finished(
                        id, url: url, received: transfer.received, seconds: Date().timeIntervalSince(start),
                        error: failure.message)
                    if failure.transient && attempt < attempts && (retryingTimeouts || !failure.timedOut) {
                        progress.retrying(id, url: url, reason: failure.message, delay: delay)
                        Thread.sleep(forTimeInterval: delay)
                        delay *= 2
                        continue
                    }
                    failures.append("\(url): \(failure.message)")
                    notFound = notFound && failure.notFound
                    break
                }
                progress.finished(
                    id, url: url, received: transfer.received, seconds: Date().timeIntervalSince(start), error: nil)
                let actual = transfer.hasher.finalize()
                if hash == nil || actual == source.hash { return (actual, transfer.received, transfer.body) }
                failures.append("hash mismatch for \(url): expected \(source.hash.sri), got \(actual.sri)")
                notFound = false
                break
            }
        }
        throw FetchError(
            failures.count == 1 ? failures[0] : "cannot fetch \(source.url): " + failures.joined(separator: "; "),
            isNotFound: notFound && !failures.isEmpty)
    }
}

/// Where what a transfer receives goes.
private enum Destination {
    /// Into memory: the result's `body`.
    case memory
    /// Into a new file, cut off again at each attempt.
    case file(Int32, name: String)
    /// Into a descriptor that keeps nothing (an upload's answer, to /dev/null).
    case discarded(Int32)

    var fd: Int32? {
        switch self {
        case .memory: nil
        case .file(let fd, _), .discarded(let fd): fd
        }
    }
}

/// Numbers transfers for progress reports.
private enum TransferIDs {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var last = 0

    static func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        last += 1
        return last
    }
}
