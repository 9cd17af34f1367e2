import DevenvBasics
import Foundation
import Glibc

/// A log that never fills the disk: moved to `PATH.1` (replacing the one before) once it reaches
/// `limit` bytes, so it never takes more than twice that. A service's is `log` in its state
/// directory; the background supervisor's is `supervisor.log`.
public final class ServiceLog {
    let path: String
    let limit: Int
    private var descriptor: Int32
    private var size: Int

    public static let defaultLimit = 10 << 20

    public init(path: String, limit: Int = defaultLimit) throws {
        self.path = path
        self.limit = limit
        descriptor = try ServiceLog.open(path)
        var info = stat()
        size = fstat(descriptor, &info) == 0 ? Int(info.st_size) : 0
    }

    deinit { close(descriptor) }

    /// Never through a link: the directory may be a cloned repository's.
    private static func open(_ path: String) throws -> Int32 {
        try SystemCall.retrying("cannot open the log '\(path)'") {
            Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
    }

    /// Appends `bytes` (whole lines), rotating first when they would pass the limit.
    public func append(_ bytes: [UInt8]) throws {
        if size > 0, size + bytes.count > limit {
            close(descriptor)
            try SystemCall.retrying("cannot rotate the log '\(path)'") { rename(path, path + ".1") }
            descriptor = try ServiceLog.open(path)
            size = 0
        }
        try bytes.withUnsafeBytes { try SystemCall.writeAll(descriptor, $0, "cannot write the log '\(path)'") }
        size += bytes.count
    }

    /// The last `count` lines of the log (and of the one before, when the log has fewer).
    public static func lastLines(of path: String, _ count: Int) -> [String] {
        var lines: [String] = []
        for file in [path, path + ".1"] where lines.count < count {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            let more = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(
                text.hasSuffix("\n") ? 1 : 0)
            lines = more.suffix(count - lines.count).map(String.init) + lines
        }
        return lines
    }
}
