import DevenvBasics
import Foundation
import Glibc

/// Whether a TCP port of this machine is taken, and by whom when that can be known.
enum PortHolder {
    /// Whether 127.0.0.1:`port` cannot be bound (something listens there, or on every address).
    static func isTaken(_ port: Int) -> Bool {
        guard let (socket, _) = Loopback.bind(port: port, reuse: true) else { return errno == EADDRINUSE }
        close(socket)
        return false
    }

    /// `pid N (command line)` of the process listening on `port`, from /proc; nil when the
    /// socket or its process cannot be seen (another user's, say).
    static func holder(of port: Int) -> String? {
        let hexPort = String(format: ":%04X", port)
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // local address, state 0A (listening), inode.
                if fields.count > 9, fields[1].hasSuffix(hexPort), fields[3] == "0A" {
                    inodes.insert(String(fields[9]))
                }
            }
        }
        guard !inodes.isEmpty else { return nil }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(entry)/fd")) ?? []
            for descriptor in descriptors {
                guard
                    let target = try? FileManager.default.destinationOfSymbolicLink(
                        atPath: "/proc/\(entry)/fd/\(descriptor)"),
                    target.hasPrefix("socket:["), inodes.contains(String(target.dropFirst(8).dropLast()))
                else { continue }
                let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline")))
                    .map {
                        String(decoding: $0.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).trimmingCharacters(
                            in: .whitespaces)
                    }
                return "pid \(entry)" + (command.map { " (\(shortened($0)))" } ?? "")
            }
        }
        return nil
    }

    /// A command line of at most 200 characters, cut after a whole word.
    static func shortened(_ command: String) -> String {
        guard command.count > 200 else { return command }
        let head = command.prefix(200)
        return String(head[..<(head.lastIndex(of: " ") ?? head.endIndex)]) + " …"
    }
}
