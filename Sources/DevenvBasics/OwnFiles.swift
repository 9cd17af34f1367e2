import Glibc

/// Directories and files devenv writes inside a project (`.devenv/state`), where a cloned
/// repository may have planted links: nothing is written through one.
public enum OwnFiles {
    /// Whether `path` is a directory of the user's: false when nothing is there; a link, or
    /// anything else, is an error.
    public static func isDirectory(_ path: String) throws -> Bool {
        guard let info = try SystemCall.lstatIfExists(path) else { return false }
        guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else {
            throw SystemError("'\(path)' is not a directory of yours (a link?); devenv does not use it")
        }
        return true
    }

    /// Makes `path` a directory when missing; a link there, or another user's directory, is refused.
    public static func directory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw SystemError("cannot create '\(path)': \(SystemCall.message())")
        }
        guard try isDirectory(path) else { throw SystemError("cannot create '\(path)'") }
    }

    /// Replaces the file at `path` with `bytes`: written beside it, then renamed over it (a
    /// link at `path` is replaced, never followed).
    public static func replace(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".new-\(getpid())"
        let fd = try SystemCall.retrying("cannot write '\(temporary)'") {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
        defer { close(fd) }
        try bytes.withUnsafeBytes { try SystemCall.writeAll(fd, $0, "cannot write '\(temporary)'") }
        try SystemCall.retrying("cannot replace '\(path)'") { rename(temporary, path) }
    }

    /// Makes the file `path` with `bytes` unless something (a link included) is already there;
    /// whether it did.
    @discardableResult
    public static func create(_ path: String, with bytes: [UInt8]) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            if errno == EEXIST { return false }
            throw SystemError("cannot create '\(path)': \(SystemCall.message())")
        }
        defer { close(fd) }
        try bytes.withUnsafeBytes { try SystemCall.writeAll(fd, $0, "cannot write '\(path)'") }
        return true
    }

    /// The bytes of the file at `path`, at most `limit` of them, or nil when there is none (or a
    /// link is there: it is not followed).
    public static func contents(of path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count < limit {
            let count = read(fd, &buffer, min(buffer.count, limit - bytes.count))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        return bytes
    }
}
