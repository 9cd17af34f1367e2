import Glibc

/// Thin, throwing wrappers around POSIX calls, so every failure becomes a
/// `SystemError` that names the file and the reason.
public enum SystemCall {
    public static func message(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// Runs `body` until it does not fail with EINTR; a negative result throws with `what`.
    @discardableResult
    public static func retrying<T: BinaryInteger>(_ what: @autoclosure () -> String, _ body: () -> T) throws -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            if errno == EINTR { continue }
            throw SystemError("\(what()): \(message())")
        }
    }

    /// Writes all of `buffer` to `fd`, at its file offset or, given `position`, there.
    public static func writeAll(
        _ fd: Int32, _ buffer: UnsafeRawBufferPointer, at position: Int? = nil, _ what: @autoclosure () -> String
    ) throws {
        var offset = 0
        while offset < buffer.count {
            let n = try retrying(what()) {
                let bytes = buffer.baseAddress! + offset
                return position.map { pwrite(fd, bytes, buffer.count - offset, off_t($0 + offset)) }
                    ?? write(fd, bytes, buffer.count - offset)
            }
            offset += n
        }
    }

    /// What one read of `fd` into `buffer` gives (from a socket or pipe, what has arrived so far);
    /// 0 at end of file.
    public static func readSome(
        _ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ what: @autoclosure () -> String
    ) throws -> Int {
        try retrying(what()) { read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Reads until `buffer` is full or end of file; returns the number of bytes read.
    public static func readFully(
        _ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ what: @autoclosure () -> String
    )
        throws -> Int
    {
        var offset = 0
        while offset < buffer.count {
            let n = try readSome(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]), what())
            if n == 0 { break }
            offset += n
        }
        return offset
    }

    public static func lstat(_ path: String) throws -> stat {
        var st = stat()
        try retrying("cannot stat '\(path)'") { Glibc.lstat(path, &st) }
        return st
    }

    /// Like `lstat`, but nil when nothing is at `path`.
    public static func lstatIfExists(_ path: String) throws -> stat? {
        var st = stat()
        if Glibc.lstat(path, &st) == 0 { return st }
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw SystemError("cannot stat '\(path)': \(message())")
    }

    /// The names in the directory open at `fd` (without `.` and `..`), in bytewise order.
    public static func sortedEntries(ofDirectory fd: Int32, _ what: @autoclosure () -> String) throws -> [[UInt8]] {
        let copy = try retrying(what()) { dup(fd) }
        guard let dir = fdopendir(copy) else {
            close(copy)
            throw SystemError("\(what()): \(message())")
        }
        defer { closedir(dir) }
        // The copy shares the offset: start at the beginning even if `fd` was listed before.
        rewinddir(dir)
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw SystemError("\(what()): \(message())") }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The target of the symlink `name` in the directory open at `directory`.
    public static func readLink(in directory: Int32, name: [UInt8], _ what: @autoclosure () -> String) throws -> [UInt8]
    {
        var target = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = try retrying(what()) {
            name.withCString { path in
                target.withUnsafeMutableBufferPointer { readlinkat(directory, path, $0.baseAddress!, $0.count) }
            }
        }
        return Array(target[..<n])
    }

    public static func isRegular(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFREG }
    public static func isDirectory(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFDIR }
    public static func isSymlink(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFLNK }
    public static func isExecutable(_ st: stat) -> Bool { st.st_mode & S_IXUSR != 0 }
}

extension Array where Element == UInt8 {
    /// The bytes as text for messages; invalid UTF-8 is replaced, never trapped on.
    public var displayString: String { String(decoding: self, as: UTF8.self) }
}

extension Array where Element == UInt8 {
    /// Calls `body` with the bytes as a NUL-terminated C string (file names are bytes, not text).
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (self + [0]).withUnsafeBufferPointer { bytes in
            try bytes.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }
}
