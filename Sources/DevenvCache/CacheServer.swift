import DevenvBasics
import DevenvStore
import Foundation
import Glibc

/// Serves a store as an HTTP binary cache, read-only, as nix-serve and harmonia do:
/// `nix-cache-info`, `HASH.narinfo` (signed as it is served when a key is given) and
/// `nar/HASH.nar` (the NAR, streamed from the store). One thread per connection; HTTP/1.0-style,
/// one request per connection.
public final class CacheServer: @unchecked Sendable {
    let store: Store
    let key: SigningKey?
    let socket: Int32
    /// The port it listens on (the one asked for, or the one the system gave for 0).
    public let port: Int

    /// Listens on `host` (an IPv4 address; 127.0.0.1 unless told otherwise) and `port`.
    public init(store: Store, key: SigningKey?, host: String = "127.0.0.1", port: Int) throws {
        self.store = store
        self.key = key
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
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

    /// Serves until the process ends.
    public func run() -> Never {
        // A client that goes away mid-answer must not end the server.
        signal(SIGPIPE, SIG_IGN)
        while true {
            let connection = accept(socket, nil, nil)
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            Thread.detachNewThread { [self] in
                defer { close(connection) }
                handle(connection)
            }
        }
    }

    private func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // The request line and headers, at most 8 KiB.
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 8192, !request.ends(with: [13, 10, 13, 10]) {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return }
            request += buffer[..<count]
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        guard line.count == 3, line[0] == "GET" || line[0] == "HEAD" else {
            return respond(connection, status: "405 Method Not Allowed", body: Array("only GET and HEAD\n".utf8))
        }
        let head = line[0] == "HEAD"
        do {
            try route(String(line[1]), to: connection, head: head)
        } catch {
            respond(connection, status: "500 Internal Server Error", body: Array("\(error)\n".utf8), head: head)
        }
    }

    private func route(_ target: String, to connection: Int32, head: Bool) throws {
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        if path == "/nix-cache-info" {
            let info = CacheInfo(storeDirectory: store.directory.path, wantMassQuery: true, priority: 30)
            return respond(connection, status: "200 OK", body: Array(info.text.utf8), head: head)
        }
        if let match = path.wholeMatch(of: /\/([0-9a-df-np-sv-z]{32})\.narinfo/),
            let storePath = try store.validPath(hashPart: String(match.1)),
            let info = try store.pathInfo(storePath)
        {
            var narinfo = NarInfo(
                describing: info, url: "nar/\(storePath.hashPart).nar", compression: "none", fileHash: info.narHash,
                fileSize: info.narSize)
            if let key { try narinfo.sign(with: key, storeDirectory: store.directory) }
            return respond(
                connection, status: "200 OK", body: Array(narinfo.text(storeDirectory: store.directory).utf8),
                type: "text/x-nix-narinfo", head: head)
        }
        if let match = path.wholeMatch(of: /\/nar\/([0-9a-df-np-sv-z]{32})\.nar/),
            let storePath = try store.validPath(hashPart: String(match.1)),
            let info = try store.pathInfo(storePath)
        {
            let header =
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-nix-nar\r\nContent-Length: \(info.narSize)\r\nConnection: close\r\n\r\n"
            guard send(connection, header) else { return }
            if !head {
                let writer = NarWriter(sink: SocketSink(fd: connection))
                try writer.dump(store.directory.fullPath(of: storePath))
            }
            return
        }
        respond(connection, status: "404 Not Found", body: Array("not in this cache\n".utf8), head: head)
    }

    private func respond(
        _ connection: Int32, status: String, body: [UInt8], type: String = "text/plain", head: Bool = false
    ) {
        let header =
            "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        guard send(connection, header), !head else { return }
        _ = body.withUnsafeBytes { try? SystemCall.writeAll(connection, $0, "cannot answer") }
    }

    private func send(_ connection: Int32, _ text: String) -> Bool {
        (try? Array(text.utf8).withUnsafeBytes { try SystemCall.writeAll(connection, $0, "cannot answer") }) != nil
    }
}

/// Writes a NAR to a connection (a peer that goes away ends the dump with an error).
struct SocketSink: NarSink {
    let fd: Int32

    mutating func consume(_ chunk: UnsafeRawBufferPointer) throws {
        try SystemCall.writeAll(fd, chunk, "the client went away")
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
