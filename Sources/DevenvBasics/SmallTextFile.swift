import Glibc

/// A small text file that settings name (a secret key, a token, credentials), read whole but no
/// further than a limit: a path to a device such as `/dev/zero` is refused instead of read
/// forever. A pipe (`--key <(pass show …)`) is read like a file.
public enum SmallTextFile {
    /// The text of the file at `path` (`what` names it in messages: "the secret key file"); nil
    /// when there is none. Throws when it cannot be read, or is larger than `limit` or not UTF-8.
    public static func read(_ path: String, limit: Int = 64 << 10, what: String) throws -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 && errno == ENOENT { return nil }
        guard fd >= 0 else { throw SystemError("cannot read \(what) \(path): \(SystemCall.message())") }
        defer { close(fd) }
        // In pieces: such files are small, and one of `limit` bytes would be made for each
        // (credentials are read for every S3 request).
        var bytes: [UInt8] = []
        var piece = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let n = try piece.withUnsafeMutableBytes { try SystemCall.readSome(fd, $0, "cannot read \(what) \(path)") }
            if n == 0 { break }
            bytes += piece[..<n]
        }
        guard bytes.count <= limit, let text = String(validating: bytes, as: UTF8.self) else {
            throw SystemError("\(what) \(path) is not text of at most \(limit) bytes")
        }
        return text
    }
}
