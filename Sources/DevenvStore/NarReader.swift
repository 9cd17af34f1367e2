import DevenvBasics
import Foundation
import Glibc

/// Reads a NAR strictly (as current Nix does, stricter than 2.8; docs/nix-formats.md §1.5) and
/// restores it into a new directory entry. Every violation of the canonical form is an error that
/// names the byte offset; the destination appears only once the whole archive was valid.
public enum NarReader {
    /// Limits of current Nix: they bound memory and recursion on hostile input.
    static let maxKeywordLength = 32
    static let maxNameLength = 255
    static let maxTargetLength = 4095
    static let maxDepth = FileTree.maximumDepth

    /// Restores the NAR read from `fd` at `destination`, which must not exist yet. The tree is
    /// built beside it under a temporary name and renamed into place at the end, so a bad or
    /// truncated archive leaves nothing behind.
    public static func restore(from fd: Int32, to destination: String) throws {
        if try SystemCall.lstatIfExists(destination) != nil {
            throw StoreError("'\(destination)' already exists; not overwriting it")
        }
        let (parent, base) = splitPath(destination)
        let prefix = ".\(base).restore-"
        // What restores into the same destination left when they were killed (this pid's name
        // included: a process that had it is gone).
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)),
                pid == getpid() || !ProcessFile.writerIsAlive(pid: pid, path: parent + "/" + name)
            else { continue }
            try FileTree.remove(parent + "/" + name)
        }
        let temporary = "\(parent)/\(prefix)\(getpid())"
        do {
            let input = NarInput(fd: fd)
            try input.expectToken(Token.magic, "bad archive: input doesn't look like a Nix archive")
            let parentFD = try SystemCall.retrying("cannot open directory '\(parent)'") {
                open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            }
            defer { close(parentFD) }
            let umask = currentUmask()
            try restoreNode(
                input, in: parentFD, name: Array("\(prefix)\(getpid())".utf8), depth: 0, umask: umask)
            try input.expectEnd()
            try SystemCall.retrying("cannot move the restored tree to '\(destination)'") {
                LinuxCall.renameNoReplace(temporary, destination)
            }
        } catch {
            try? FileTree.remove(temporary)
            throw error
        }
    }

    private static func splitPath(_ path: String) -> (parent: String, base: String) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", trimmed) }
        let parent = String(trimmed[..<slash])
        return (parent.isEmpty ? "/" : parent, String(trimmed[trimmed.index(after: slash)...]))
    }

    private static func currentUmask() -> mode_t {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }

    private static func restoreNode(_ input: NarInput, in directory: Int32, name: [UInt8], depth: Int, umask: mode_t)
        throws
    {
        guard depth < maxDepth else { throw input.error("directories nested deeper than \(maxDepth)") }
        try input.expectToken(Token.open)
        try input.expectToken(Token.type)
        let kind = try input.readString(limit: maxKeywordLength, "node type")
        switch kind {
        case Token.regular:
            var keyword = try input.readString(limit: maxKeywordLength, "'executable' or 'contents'")
            var executable = false
            if keyword == Token.executable {
                guard try input.readString(limit: maxKeywordLength, "executable marker").isEmpty else {
                    throw input.error("executable marker has non-empty value")
                }
                executable = true
                keyword = try input.readString(limit: maxKeywordLength, "'contents'")
            }
            guard keyword == Token.contents else { throw input.unexpected(keyword, expected: "contents") }
            let mode: mode_t = (executable ? 0o777 : 0o666) & ~umask
            let fd = try SystemCall.retrying("cannot create file '\(name.displayString)'") {
                name.withCString { openat(directory, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
            }
            defer { close(fd) }
            try input.copyContents(to: fd)
        case Token.symlink:
            try input.expectToken(Token.target)
            let target = try input.readString(limit: maxTargetLength, "symlink target")
            guard !target.isEmpty, !target.contains(0) else {
                throw input.error("symlink target is empty or contains NUL")
            }
            try SystemCall.retrying("cannot create symlink '\(name.displayString)'") {
                target.withCString { t in name.withCString { symlinkat(t, directory, $0) } }
            }
        case Token.directory:
            try SystemCall.retrying("cannot create directory '\(name.displayString)'") {
                name.withCString { mkdirat(directory, $0, 0o777 & ~umask) }
            }
            let fd = try SystemCall.retrying("cannot open directory '\(name.displayString)'") {
                name.withCString { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            defer { close(fd) }
            var previous: [UInt8]?
            while true {
                let keyword = try input.readString(limit: maxKeywordLength, "'entry' or ')'")
                if keyword == Token.close { return }
                guard keyword == Token.entry else { throw input.unexpected(keyword, expected: "entry") }
                try input.expectToken(Token.open)
                try input.expectToken(Token.name)
                let entryName = try input.readString(limit: maxNameLength, "entry name")
                try validate(entryName, input)
                if let previous, !previous.lexicographicallyPrecedes(entryName) {
                    throw input.error(
                        previous == entryName
                            ? "duplicate entry '\(entryName.displayString)'"
                            : "directory is not sorted: '\(entryName.displayString)' after '\(previous.displayString)'")
                }
                previous = entryName
                try input.expectToken(Token.node)
                try restoreNode(input, in: fd, name: entryName, depth: depth + 1, umask: umask)
                try input.expectToken(Token.close)
            }
        default:
            throw input.unexpected(kind, expected: "regular, symlink or directory")
        }
        try input.expectToken(Token.close)
    }

    private static func validate(_ name: [UInt8], _ input: NarInput) throws {
        if name.isEmpty || name == [0x2E] || name == [0x2E, 0x2E] || name.contains(0x2F) || name.contains(0) {
            throw input.error("invalid file name '\(name.displayString)'")
        }
    }
}

/// Buffered, strictly framed input: every string is a length word, the bytes, and zero padding.
final class NarInput {
    private let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// Offset in the archive of `buffer[start]`, for messages.
    private var offset: UInt64 = 0

    init(fd: Int32, bufferSize: Int = 1 << 20) {
        self.fd = fd
        buffer = .allocate(byteCount: bufferSize, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    func error(_ message: String) -> StoreError { StoreError("bad archive at byte \(offset): \(message)") }

    func unexpected(_ token: [UInt8], expected: String) -> StoreError {
        error("expected \(expected), found '\(token.displayString)'")
    }

    /// Makes at least `count` bytes (at most the buffer size) available, or fails as truncated.
    private func fill(_ count: Int) throws {
        if end - start >= count { return }
        if start > 0 {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
            end -= start
            start = 0
        }
        while end < count {
            let n = try SystemCall.retrying("cannot read NAR") {
                read(fd, buffer.baseAddress! + end, buffer.count - end)
            }
            if n == 0 { throw error("archive is truncated") }
            end += n
        }
    }

    private func consume(_ count: Int) {
        start += count
        offset += UInt64(count)
    }

    private func readLength() throws -> UInt64 {
        try fill(8)
        let value = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: start, as: UInt64.self))
        consume(8)
        return value
    }

    private func readPadding(_ length: UInt64) throws {
        let padding = Int((8 - length % 8) % 8)
        guard padding > 0 else { return }
        try fill(padding)
        guard buffer[start..<start + padding].allSatisfy({ $0 == 0 }) else { throw error("non-zero padding") }
        consume(padding)
    }

    /// A framed string of at most `limit` bytes.
    func readString(limit: Int, _ what: String) throws -> [UInt8] {
        let length = try readLength()
        guard length <= UInt64(limit) else { throw error("\(what) of \(length) bytes exceeds the limit of \(limit)") }
        try fill(Int(length))
        let bytes = Array(buffer[start..<start + Int(length)])
        consume(Int(length))
        try readPadding(length)
        return bytes
    }

    func expectToken(_ token: [UInt8], _ message: String? = nil) throws {
        let found = try readString(limit: NarReader.maxKeywordLength, "keyword")
        guard found == token else {
            if let message { throw error(message) }
            throw unexpected(found, expected: "'\(token.displayString)'")
        }
    }

    /// Streams a file's contents (length word, bytes, padding) to `out`.
    func copyContents(to out: Int32) throws {
        let length = try readLength()
        guard length <= UInt64(Int64.max) else { throw error("file length \(length) is impossible") }
        var remaining = length
        while remaining > 0 {
            if start == end { try fill(1) }
            let n = Int(min(UInt64(end - start), remaining))
            try SystemCall.writeAll(
                out, UnsafeRawBufferPointer(rebasing: buffer[start..<start + n]), "cannot write file")
            consume(n)
            remaining -= UInt64(n)
        }
        try readPadding(length)
    }

    func expectEnd() throws {
        if end > start { throw error("trailing data after the archive") }
        var byte: UInt8 = 0
        let n = try SystemCall.retrying("cannot read NAR") { read(fd, &byte, 1) }
        if n != 0 { throw error("trailing data after the archive") }
    }
}
