import DevenvBasics
import DevenvProject
import Foundation
import Glibc

/// One look at whether a service is ready, by its `ready` probe; each look is bounded in time,
/// so a probe that hangs (a port that accepts and never answers) counts as not ready.
enum ReadinessProbe {
    /// How long one look may take.
    static let attemptLimit = 5.0

    static func isReady(
        _ probe: Service.Probe, environment: [String: String], directory: String, limit: Double = attemptLimit
    ) -> Bool {
        switch probe {
        case .command(let command):
            return BoundedCommand.succeeds(command, environment: environment, directory: directory, limit: limit)
        case .tcp(let host, let port): return connected(host: host, port: port, limit: limit) != nil
        case .unix(let path):
            let full = path.hasPrefix("/") ? path : directory + "/" + path
            return unixConnects(full)
        case .http(let url): return httpAnswers(url, limit: limit)
        }
    }

    /// A connected TCP socket to `host:port`, or nil.
    static func connected(host: String, port: Int, limit: Double) -> Int32? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else { return nil }
        defer { freeaddrinfo(first) }
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let address = next {
            next = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            var timeout = timeval(tv_sec: Int(limit), tv_usec: Int((limit - limit.rounded(.down)) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
            close(fd)
        }
        return nil
    }

    static func unixConnects(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    /// Whether `GET url` answers with a status below 400 (HTTP/1.0, so the answer ends the connection).
    static func httpAnswers(_ url: String, limit: Double) -> Bool {
        guard let parts = URLComponents(string: url), parts.scheme == "http", let host = parts.host, !host.isEmpty
        else { return false }
        let path = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
        let target = path + (parts.percentEncodedQuery.map { "?" + $0 } ?? "")
        guard let fd = connected(host: host, port: parts.port ?? 80, limit: limit) else { return false }
        defer { close(fd) }
        let request = Array("GET \(target) HTTP/1.0\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else { return false }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while answer.count < 64, !answer.contains(0x0A) {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            answer += buffer[..<count]
        }
        // `HTTP/1.x NNN …`
        let line = String(decoding: answer.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let fields = line.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/"), let status = Int(fields[1]) else { return false }
        return (100..<400).contains(status)
    }
}
