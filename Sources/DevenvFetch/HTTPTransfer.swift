import CCurl
import DevenvBasics
import DevenvStore
import Foundation
import Glibc

/// One transfer with libcurl (http, https and file URLs): a download into an open file or into
/// memory, hashing the bytes as they arrive, or a PUT of a file (`HTTPRequest.upload`), whose
/// answer goes there.
final class HTTPTransfer {
    /// Whether another attempt could succeed.
    struct Failure: Error {
        let message: String
        let transient: Bool
        /// The server answered that it has no such file.
        var notFound = false
        /// More arrived than `limit` allows.
        var tooLarge = false
        /// Nothing arrived for `stallSeconds`, or no connection was made in time.
        var timedOut = false
    }

    private static let initialized: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

    /// Where the bytes go: this descriptor, else `body`.
    private let fd: Int32?
    private let id: Int
    private let progress: any FetchProgress
    private(set) var hasher: Hasher
    private(set) var received: UInt64 = 0
    /// What arrived, when it goes to no descriptor (and, for `HTTPStream`, not into `target`).
    private(set) var body: [UInt8] = []
    /// Seconds without a byte after which the transfer fails (`FetchSettings.stallTimeout`).
    var stallSeconds = 60
    /// Where a reader of `HTTPStream` wants the next bytes, and how many are there.
    var target: UnsafeMutableRawBufferPointer?
    var targetFilled = 0
    /// libcurl holds a block back until the transfer is continued (`CURLPAUSE_CONT`).
    var paused = false
    /// The response's status is a failure: its body (an error page) is no reader's (`HTTPStream`).
    private var refused = false
    /// `CURL_WRITEFUNC_PAUSE`, a macro Swift does not import.
    private static let pause = 0x1000_0001
    /// The most bytes taken (nil: no limit); past it, the transfer is stopped.
    var limit: UInt64?
    private var exceeded = false
    private var writeError: String?
    private var lastReport = Date.distantPast
    /// Answers with any status are taken (`URLFetcher.exchange`), not failures.
    var acceptsAnyStatus = false
    /// Whether an answer with `status` fails the transfer: an error, and also a redirect that is
    /// still the answer once libcurl is done (one not followed, or without a `Location`), which is
    /// not what was asked for.
    private func fails(_ status: Int) -> Bool { status >= 300 && !acceptsAnyStatus }
    private(set) var status = 0
    /// The last response's headers, names lowercased.
    private(set) var responseHeaders: [String: String] = [:]

    /// Into `fd`, or into `body` when it is nil.
    init(into fd: Int32?, algorithm: HashAlgorithm, id: Int, progress: any FetchProgress) {
        self.fd = fd
        self.id = id
        self.progress = progress
        hasher = Hasher(algorithm)
    }

    /// Downloads `url` (or sends `request.upload` there); throws `Failure` saying whether a retry
    /// makes sense.
    func run(_ url: String, environment: [String: String], request: HTTPRequest = HTTPRequest()) throws {
        let transfer = try Prepared(self, url: url, environment: environment, request: request)
        try conclude(curl_easy_perform(transfer.handle), transfer)
    }

    /// The request of a transfer set on a libcurl handle, and what the handle points to while it
    /// runs (released with it).
    final class Prepared {
        let handle: UnsafeMutableRawPointer
        private var headers: UnsafeMutablePointer<curl_slist>? = nil
        private var body: UnsafeMutablePointer<FILE>? = nil
        /// Whether this is a PUT of a file.
        var uploads: Bool { body != nil }
        let errors = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

        init(_ transfer: HTTPTransfer, url: String, environment: [String: String], request: HTTPRequest) throws {
            guard HTTPTransfer.initialized, let handle = CurlHandles.easy.take() else {
                throw Failure(message: "cannot initialize libcurl", transient: false)
            }
            self.handle = handle
            errors[0] = 0
            // An upload waits for no `100 Continue`.
            for header in request.headers + (request.upload == nil ? [] : ["Expect:"]) {
                headers = devenv_curl_append_header(headers, header)
            }
            if headers != nil { devenv_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headers) }
            if let upload = request.upload {
                guard let file = fopen(upload, "rb") else {
                    throw Failure(message: "cannot read '\(upload)': \(SystemCall.message())", transient: false)
                }
                body = file
                var info = stat()
                fstat(fileno(file), &info)
                devenv_curl_set_long(handle, CURLOPT_UPLOAD, 1)
                devenv_curl_set_pointer(handle, CURLOPT_READDATA, file)
                devenv_curl_set_size(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(info.st_size))
            }
            let context = Unmanaged.passUnretained(transfer).toOpaque()
            if request.method == "HEAD" { devenv_curl_set_long(handle, CURLOPT_NOBODY, 1) }
            if request.method == "POST" {
                devenv_curl_set_long(handle, CURLOPT_POST, 1)
                devenv_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, 0)
            }
            devenv_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
            devenv_curl_set_header_function(handle, HTTPTransfer.header)
            // libcurl copies string options, so temporary C strings are enough.
            func set(_ option: CURLoption, _ value: String) { _ = devenv_curl_set_pointer(handle, option, value) }
            set(CURLOPT_URL, url)
            set(CURLOPT_USERAGENT, "devenv/0.1 (libcurl)")
            let (proxy, noProxy) = HTTPTransfer.proxy(for: url, environment: environment)
            // An empty proxy means none: it overrides libcurl's own reading of the environment.
            set(CURLOPT_PROXY, proxy ?? "")
            if let noProxy { set(CURLOPT_NOPROXY, noProxy) }
            devenv_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, request.followsRedirects ? 1 : 0)
            devenv_curl_set_long(handle, CURLOPT_MAXREDIRS, 10)
            devenv_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, min(30, transfer.stallSeconds))
            // A transfer that stalls below 1 byte/s for `stallSeconds` counts as failed.
            devenv_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
            devenv_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, transfer.stallSeconds)
            devenv_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
            // Bytes are handed on in blocks of up to 256 KiB, not libcurl's 16 KiB: a fast download
            // then costs a few hundred writes and hash updates, not thousands. libcurl allocates the
            // block for each transfer, and one under the 512 KiB from which glibc maps fresh pages
            // (`CurrentExecutable.tuneAllocator`) is the last one's memory again, not new pages
            // to fault in.
            devenv_curl_set_long(handle, CURLOPT_BUFFERSIZE, 256 << 10)
            devenv_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
            devenv_curl_set_write_function(handle, HTTPTransfer.write)
            devenv_curl_set_pointer(handle, CURLOPT_XFERINFODATA, context)
            devenv_curl_set_progress_function(handle, HTTPTransfer.report)
            devenv_curl_set_long(handle, CURLOPT_NOPROGRESS, 0)
            devenv_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errors)
        }

        deinit {
            devenv_curl_free_headers(headers)
            if let body { fclose(body) }
            errors.deallocate()
            CurlHandles.easy.give(handle)
        }
    }

    /// Throws what `result`, libcurl's answer to the whole transfer, and the response say went wrong.
    func conclude(_ result: CURLcode, _ transfer: Prepared) throws {
        if exceeded { throw Failure(message: "larger than \(limit ?? 0) bytes", transient: false, tooLarge: true) }
        if let writeError { throw Failure(message: writeError, transient: false) }
        guard result == CURLE_OK else {
            let detail = String(cString: transfer.errors)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
            throw Failure(
                message: message, transient: HTTPTransfer.transientCodes.contains(result),
                timedOut: result == CURLE_OPERATION_TIMEDOUT)
        }
        devenv_curl_get_long(transfer.handle, CURLINFO_RESPONSE_CODE, &status)
        if fails(status) {
            let reason = HTTPTransfer.reasons[status].map { " " + $0 } ?? ""
            let why =
                status < 400
                ? ", a redirect not followed"
                : transfer.uploads && (status == 405 || status == 501) ? ": the server takes no uploads" : ""
            throw Failure(
                message: "HTTP \(status)" + reason + why,
                transient: status >= 500 || status == 408 || status == 429,
                notFound: status == 404 || status == 410)
        }
    }

    /// RFC 9110's names of the statuses a cache, mirror or registry answers with: a bare number
    /// says less to whoever reads the error.
    private static let reasons: [Int: String] = [
        300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
        308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
        403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
        407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
        411: "Length Required", 412: "Precondition Failed", 413: "Content Too Large", 414: "URI Too Long",
        415: "Unsupported Media Type", 416: "Range Not Satisfiable", 429: "Too Many Requests",
        431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons", 500: "Internal Server Error",
        501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
        507: "Insufficient Storage",
    ]

    private static let transientCodes: Set<CURLcode> = [
        CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT,
        CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
        CURLE_SSL_CONNECT_ERROR,
    ]

    /// The proxy for `url` from `http_proxy`/`HTTP_PROXY`, `https_proxy`/`HTTPS_PROXY` or
    /// `all_proxy`/`ALL_PROXY`, and the hosts exempt from `no_proxy`/`NO_PROXY`. (libcurl alone
    /// would ignore `HTTP_PROXY`.)
    static func proxy(for url: String, environment: [String: String]) -> (proxy: String?, noProxy: String?) {
        let lowered = url.lowercased()
        let scheme = lowered.hasPrefix("https:") ? "https" : lowered.hasPrefix("http:") ? "http" : nil
        guard let scheme else { return (nil, nil) }
        let proxy = [scheme + "_proxy", scheme.uppercased() + "_PROXY", "all_proxy", "ALL_PROXY"]
            .lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        return (proxy, environment["no_proxy"] ?? environment["NO_PROXY"])
    }

    private static let write: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int =
        {
            data, size, count, context in
            let transfer = Unmanaged<HTTPTransfer>.fromOpaque(context!).takeUnretainedValue()
            let buffer = UnsafeRawBufferPointer(start: data, count: size * count)
            // An error page is not what a reader of `HTTPStream` reads: the failure is `finish`'s to say.
            if transfer.refused && transfer.target != nil { return buffer.count }
            if let limit = transfer.limit, transfer.received + UInt64(buffer.count) > limit {
                transfer.exceeded = true
                return 0  // makes libcurl abort the transfer
            }
            if let fd = transfer.fd {
                do {
                    try SystemCall.writeAll(fd, buffer, "cannot write the download")
                } catch {
                    transfer.writeError = "\(error)"
                    return 0  // makes libcurl abort the transfer
                }
            } else if let target = transfer.target {
                let room = target.count - transfer.targetFilled
                // A block that does not fit waits in libcurl for the next read, rather than in
                // memory of its own: only a block larger than the whole buffer is split.
                if buffer.count > room && transfer.targetFilled > 0 {
                    transfer.paused = true
                    return HTTPTransfer.pause
                }
                let n = min(room, buffer.count)
                (target.baseAddress! + transfer.targetFilled).copyMemory(from: buffer.baseAddress!, byteCount: n)
                transfer.targetFilled += n
                transfer.body.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[n...]))
            } else {
                transfer.body.append(contentsOf: buffer)
            }
            transfer.hasher.update(buffer)
            transfer.received += UInt64(buffer.count)
            return buffer.count
        }

    /// Keeps each response header; a new status line (after a redirect) starts over.
    private static let header:
        @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int =
            { data, size, count, context in
                let transfer = Unmanaged<HTTPTransfer>.fromOpaque(context!).takeUnretainedValue()
                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
                if line.hasPrefix("HTTP/") {
                    transfer.responseHeaders = [:]
                    transfer.refused =
                        line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map(transfer.fails) ?? false
                } else if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    transfer.responseHeaders[name] = line[line.index(after: colon)...].trimmingCharacters(
                        in: .whitespacesAndNewlines)
                }
                return size * count
            }

    private static let report:
        @convention(c) (UnsafeMutableRawPointer?, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> Int32 = {
            context, total, now, _, _ in
            let transfer = Unmanaged<HTTPTransfer>.fromOpaque(context!).takeUnretainedValue()
            let moment = Date()
            if moment.timeIntervalSince(transfer.lastReport) >= 0.1 {
                transfer.lastReport = moment
                transfer.progress.advanced(transfer.id, received: UInt64(now), total: total > 0 ? UInt64(total) : nil)
            }
            return 0
        }
}

extension HTTPTransfer {
    /// Moves what `body` holds from `offset` into `buffer`; how many bytes. `body` is emptied
    /// once all of it is taken.
    func take(from offset: inout Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, body.count - offset)
        body.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        if offset == body.count {
            body.removeAll(keepingCapacity: true)
            offset = 0
        }
        return n
    }
}

/// libcurl handles kept once a transfer is done, for the next: an easy handle keeps its
/// connections open (a closure's narinfos and NARs come from the same server one after another),
/// and so does a multi handle (`HTTPStream`). An easy handle's download block is allocated again
/// for each transfer whatever the handle (see `CURLOPT_BUFFERSIZE`). As many of each are kept as
/// were in use at once, up to a few (a closure's paths come side by side).
final class CurlHandles: @unchecked Sendable {
    static let easy = CurlHandles(make: curl_easy_init, reuse: curl_easy_reset, free: curl_easy_cleanup)
    static let multi = CurlHandles(make: curl_multi_init, reuse: { _ in }, free: { _ = curl_multi_cleanup($0) })

    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    private let make: () -> UnsafeMutableRawPointer?
    /// Options back to their defaults; connections stay.
    private let reuse: (UnsafeMutableRawPointer) -> Void
    private let free: (UnsafeMutableRawPointer) -> Void

    private init(
        make: @escaping () -> UnsafeMutableRawPointer?, reuse: @escaping (UnsafeMutableRawPointer) -> Void,
        free: @escaping (UnsafeMutableRawPointer) -> Void
    ) {
        (self.make, self.reuse, self.free) = (make, reuse, free)
    }

    func take() -> UnsafeMutableRawPointer? {
        guard let handle = lock.withLock({ idle.popLast() }) else { return make() }
        reuse(handle)
        return handle
    }

    func give(_ handle: UnsafeMutableRawPointer) {
        let kept = lock.withLock {
            guard idle.count < 16 else { return false }
            idle.append(handle)
            return true
        }
        if !kept { free(handle) }
    }
}
