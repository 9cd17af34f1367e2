import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

/// Serves a store as an HTTP binary cache, read-only, as nix-serve and harmonia do:
/// `nix-cache-info`, `HASH.narinfo` (signed as it is served when a key is given) and
/// `nar/HASH.nar` (the NAR, streamed from the store; byte ranges on request) or
/// `nar/HASH.nar.zst`/`.xz` (compressed as it is streamed). One thread per connection;
/// HTTP/1.0-style, one request per connection.
public final class CacheServer: @unchecked Sendable {
    let store: Store
    let key: SigningKey?
    /// How the NARs the narinfos point to are compressed (nil: not).
    let compression: Compressor.Method?
    let socket: Int32
    /// The port it listens on (the one asked for, or the one the system gave for 0).
    public let port: Int

    /// Listens on `host` (an IPv4 address; 127.0.0.1 unless told otherwise) and `port`.
    public init(
        store: Store, key: SigningKey?, compression: Compressor.Method? = .zstd, host: String = "127.0.0.1", port: Int
    ) throws {
        self.store = store
        self.key = key
        self.compression = compression
        guard let port16 = UInt16(exactly: port) else { throw CacheError("\(port) is not a port (0 to 65535)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port16.bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw CacheError("'\(host)' is not an IPv4 address to listen on")
        }
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, ready else {
            let message = SystemCall.message()
            if fd >= 0 { close(fd) }
            throw CacheError("cannot listen on \(host):\(port): \(message)")
        }
        socket = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Connections answered at once; more wait to be accepted.
    static let maximumConnections = 64

    /// Serves until the process ends.
    public func run() -> Never {
        // A client that goes away mid-answer must not end the server.
        signal(SIGPIPE, SIG_IGN)
        let slots = DispatchSemaphore(value: 0)
        for _ in 0..<CacheServer.maximumConnections { slots.signal() }
        while true {
            slots.wait()
            let connection = accept(socket, nil, nil)
            guard connection >= 0 else {
                slots.signal()
                continue
            }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            Thread.detachNewThread { [self] in
                defer {
                    close(connection)
                    slots.signal()
                }
                handle(connection)
            }
        }
    }

    private func handle(_ connection: Int32) {
        // A client not reading for 30 s is given up.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let head: [UInt8]
        switch CacheServer.readHead(connection) {
        case .read(let bytes): head = bytes
        case .tooLarge:
            respond(connection, status: "431 Request Header Fields Too Large", body: Array("over 8 KiB\n".utf8))
            // What the client is still sending is read for a moment (up to 64 KiB, for 2 s) and
            // dropped: closed with it unread, the connection would be reset, and the client could
            // lose the answer.
            shutdown(connection, Int32(SHUT_WR))
            let deadline = Date().addingTimeInterval(2)
            var buffer = [UInt8](repeating: 0, count: 4096)
            var drained = 0
            while drained < 64 << 10 {
                let count = CacheServer.receive(connection, into: &buffer, before: deadline)
                guard count > 0 else { break }
                drained += count
            }
            return
        case nil: return
        }
        // Split as bytes: to Swift, CR LF is one character, and no "\n".
        let lines = head.split(separator: 10).map {
            String(decoding: $0.last == 13 ? $0.dropLast() : $0, as: UTF8.self)
        }
        let line = lines.first?.split(separator: " ") ?? []
        guard line.count == 3, line[0] == "GET" || line[0] == "HEAD" else {
            return respond(connection, status: "405 Method Not Allowed", body: Array("only GET and HEAD\n".utf8))
        }
        let isHead = line[0] == "HEAD"
        let range = lines.dropFirst().lazy
            .compactMap { header -> Substring? in
                let parts = header.split(separator: ":", maxSplits: 1)
                return parts.count == 2 && parts[0].lowercased() == "range" ? parts[1] : nil
            }.first.map { $0.trimmingCharacters(in: .whitespaces) }
        do {
            try route(String(line[1]), to: connection, head: isHead, range: range)
        } catch {
            respond(connection, status: "500 Internal Server Error", body: Array("\(error)\n".utf8), head: isHead)
        }
    }

    /// The largest request line and headers read.
    static let largestHead = 8 << 10
    /// How long a client has to send them, in all: a client that sends a byte now and then holds
    /// one of the `maximumConnections` for no longer.
    static let headSeconds = 10

    enum Head: Equatable {
        case read([UInt8])
        case tooLarge
    }

    /// The request line and headers, up to the empty line that ends them (after CRLF, or a bare
    /// LF as HTTP lets a server accept; what follows is ignored), unless they are over
    /// `largestHead`; nil when the client closes, or is not done within `headSeconds`.
    static func readHead(_ connection: Int32) -> Head? {
        let deadline = Date().addingTimeInterval(Double(headSeconds))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var searched = 0
        while true {
            // An empty line: LF, then LF or CRLF.
            while searched < request.count {
                if request[searched] == 10 {
                    let next = request[(searched + 1)...].prefix(2)
                    if next.first == 10 || next.elementsEqual([13, 10]) { return .read(Array(request[..<searched])) }
                    if next.count < (next.first == 13 ? 2 : 1) { break }
                }
                searched += 1
            }
            if request.count >= largestHead { return .tooLarge }
            let count = receive(connection, into: &buffer, upTo: largestHead - request.count, before: deadline)
            guard count > 0 else { return nil }
            request += buffer[..<count]
        }
    }

    /// What the client sends next, up to `limit` bytes into `buffer`, if it comes before
    /// `deadline`: how many, 0 when it closes, fails or is too late.
    private static func receive(
        _ connection: Int32, into buffer: inout [UInt8], upTo limit: Int = .max, before deadline: Date
    ) -> Int {
        let left = Int32(deadline.timeIntervalSinceNow * 1000)
        var ready = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
        guard left > 0, poll(&ready, 1, left) == 1 else { return 0 }
        return max(0, recv(connection, &buffer, min(buffer.count, limit), 0))
    }

    private func route(_ target: String, to connection: Int32, head: Bool, range: String?) throws {
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        if path == "/nix-cache-info" {
            let info = CacheInfo(storeDirectory: store.directory.path, wantMassQuery: true, priority: 30)
            return respond(connection, status: "200 OK", body: Array(info.text.utf8), head: head)
        }
        if let match = path.wholeMatch(of: /\/([0-9a-df-np-sv-z]{32})\.narinfo/),
            let storePath = try store.validPath(hashPart: String(match.1)),
            let info = try store.pathInfo(storePath)
        {
            // Compressed as it is sent, its file hash and size are not known beforehand.
            var narinfo = NarInfo(
                describing: info, url: "nar/\(storePath.hashPart).nar" + (compression?.fileExtension ?? ""),
                compression: compression?.rawValue ?? "none", fileHash: compression == nil ? info.narHash : nil,
                fileSize: compression == nil ? info.narSize : nil)
            if let key { try narinfo.sign(with: key, storeDirectory: store.directory) }
            return respond(
                connection, status: "200 OK", body: Array(narinfo.text(storeDirectory: store.directory).utf8),
                type: "text/x-nix-narinfo", head: head)
        }
        if let match = path.wholeMatch(of: /\/nar\/([0-9a-df-np-sv-z]{32})\.nar(\.zst|\.xz)?/),
            let storePath = try store.validPath(hashPart: String(match.1)),
            let info = try store.pathInfo(storePath)
        {
            let source = store.directory.fullPath(of: storePath)
            if let suffix = match.2 {
                let method: Compressor.Method = suffix == ".zst" ? .zstd : .xz
                guard
                    send(
                        connection,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/x-nix-nar\r\nConnection: close\r\n\r\n"),
                    !head
                else { return }
                // Once the answer has begun, a failure can only end the connection.
                let compressor = try? Compressor(toDescriptor: connection, with: method)
                if let compressor, (try? NarWriter(sink: compressor).dump(source)) != nil { try? compressor.finish() }
                return
            }
            guard let (first, last, partial) = CacheServer.byteRange(range, size: info.narSize) else {
                return respond(
                    connection, status: "416 Range Not Satisfiable", body: [], head: head,
                    extra: "Content-Range: bytes */\(info.narSize)\r\n")
            }
            let header =
                "HTTP/1.1 \(partial ? "206 Partial Content" : "200 OK")\r\nContent-Type: application/x-nix-nar\r\n"
                + "Accept-Ranges: bytes\r\nContent-Length: \(last + 1 - first)\r\n"
                + (partial ? "Content-Range: bytes \(first)-\(last)/\(info.narSize)\r\n" : "")
                + "Connection: close\r\n\r\n"
            guard send(connection, header), !head else { return }
            // Once the answer has begun, a failure (the client gone) can only end the connection.
            _ = try? NarWriter(sink: RangeSink(fd: connection, first: first, last: last)).dump(source)
            return
        }
        respond(connection, status: "404 Not Found", body: Array("not in this cache\n".utf8), head: head)
    }

    /// The bytes `range` (a `Range` header's value) asks of `size` bytes, first and last
    /// inclusive, and whether that is a part: one range, `bytes=A-B`, `bytes=A-` or `bytes=-N`.
    /// A header that is absent, not understood or asks several ranges gets everything (HTTP lets
    /// a server ignore it); nil when the range cannot be satisfied.
    static func byteRange(_ range: String?, size: UInt64) -> (first: UInt64, last: UInt64, partial: Bool)? {
        let everything = (first: UInt64(0), last: size - 1, partial: false)
        guard let range, range.hasPrefix("bytes=") else { return everything }
        let parts = range.dropFirst("bytes=".count).split(
            separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }) else {
            return everything
        }
        if parts[0].isEmpty {
            guard let suffix = UInt64(parts[1]) else { return everything }
            return suffix == 0 ? nil : (size - min(suffix, size), size - 1, true)
        }
        guard let first = UInt64(parts[0]) else { return everything }
        if parts[1].isEmpty { return first < size ? (first, size - 1, true) : nil }
        guard let last = UInt64(parts[1]), last >= first else { return everything }
        return first < size ? (first, min(last, size - 1), true) : nil
    }

    private func respond(
        _ connection: Int32, status: String, body: [UInt8], type: String = "text/plain", head: Bool = false,
        extra: String = ""
    ) {
        let header =
            "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\n\(extra)Connection: close\r\n\r\n"
        guard send(connection, header), !head else { return }
        _ = body.withUnsafeBytes { try? SystemCall.writeAll(connection, $0, "cannot answer") }
    }

    private func send(_ connection: Int32, _ text: String) -> Bool {
        (try? Array(text.utf8).withUnsafeBytes { try SystemCall.writeAll(connection, $0, "cannot answer") }) != nil
    }
}

/// Writes the bytes `first...last` of a NAR to a connection (a peer that goes away ends the dump
/// with an error), and ends the dump with `Done` once they are written.
struct RangeSink: NarSink {
    struct Done: Error {}

    let fd: Int32
    let first: UInt64
    let last: UInt64
    private var offset: UInt64 = 0

    init(fd: Int32, first: UInt64, last: UInt64) {
        self.fd = fd
        self.first = first
        self.last = last
    }

    mutating func consume(_ chunk: UnsafeRawBufferPointer) throws {
        let start = offset
        offset += UInt64(chunk.count)
        guard offset > first else { return }
        let from = Int(max(first, start) - start)
        let to = Int(min(last + 1, offset) - start)
        try SystemCall.writeAll(fd, UnsafeRawBufferPointer(rebasing: chunk[from..<to]), "the client went away")
        if offset > last { throw Done() }
    }
}
