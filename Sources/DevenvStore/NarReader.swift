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
    /// A NAR smaller than this is unpacked by the thread that reads it, without a thread to
    /// decompress it: starting one would cost more than it saves.
    public static let smallSize: UInt64 = 1 << 20
    /// A NAR from this size on has its files written by threads of their own. A smaller one is
    /// not worth them: several such paths of a closure are unpacked at once, and threads writing
    /// for each would only take turns on two cores (docs/benchmarks.md).
    public static let parallelSize: UInt64 = 16 << 20
    /// The threads that write a large NAR's files: one per core, up to four. More than the cores
    /// only take turns with the threads that decompress and hash the NAR, and contend for the
    /// same locks of the file system (docs/benchmarks.md).
    static let writerThreads = min(4, ProcessInfo.processInfo.activeProcessorCount)

    /// How the entries of a restored tree are made.
    struct Options {
        /// With the modes and times the store keeps (read-only, mtime 1) instead of the umask's
        /// and the current time.
        var canonical = false
        /// Threads that write the files (`RestoreWriters`) while the NAR is read; 0: written as read.
        var writers = 0
    }

    /// Restores the NAR read from `fd` at `destination`, which must not exist yet. The tree is
    /// built beside it under a temporary name and renamed into place at the end, so a bad or
    /// truncated archive leaves nothing behind.
    public static func restore(from fd: Int32, to destination: String) throws {
        try restore(from: NarInput(fd: fd), to: destination, options: Options())
    }

    /// The same, reading the NAR from `input`, making the entries as `options` say.
    static func restore(from input: NarInput, to destination: String, options: Options) throws {
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
        let parentFD = try SystemCall.retrying("cannot open directory '\(parent)'") {
            open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { close(parentFD) }
        let restore = NarRestoration(input: input, root: parentFD, options: options)
        do {
            try input.expectToken(Token.magic, "bad archive: input doesn't look like a Nix archive")
            let name = Array("\(prefix)\(getpid())".utf8)
            try restore.node(in: parentFD, name: name, path: name, depth: 0)
            try input.expectEnd()
            try restore.finish(completed: true)
            try SystemCall.retrying("cannot move the restored tree to '\(destination)'") {
                LinuxCall.renameNoReplace(temporary, destination)
            }
        } catch {
            try? restore.finish(completed: false)
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

    static func validate(_ name: [UInt8], _ input: NarInput) throws {
        if name.isEmpty || name == [0x2E] || name == [0x2E, 0x2E] || name.contains(0x2F) || name.contains(0) {
            throw input.error("invalid file name '\(name.displayString)'")
        }
    }
}

/// Buffered, strictly framed input: every string is a length word, the bytes, and zero padding.
final class NarInput {
    /// Fills a buffer from the NAR; how much it filled, 0 at the end.
    typealias Read = (UnsafeMutableRawBufferPointer) throws -> Int
    private let read: Read
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// Offset in the archive of `buffer[start]`, for messages.
    private var offset: UInt64 = 0

    init(bufferSize: Int = 1 << 20, read: @escaping Read) {
        self.read = read
        buffer = BufferPool.shared.take(bufferSize)
    }

    convenience init(fd: Int32) {
        self.init { try SystemCall.readSome(fd, $0, "cannot read NAR") }
    }

    deinit { BufferPool.shared.give(buffer) }

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
            let n = try read(UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
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

    /// Reads the padding after a string or file contents of `length` bytes.
    func readPadding(_ length: UInt64) throws {
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

    /// The length word of a file's contents.
    func contentsLength() throws -> UInt64 {
        let length = try readLength()
        guard length <= UInt64(Int64.max) else { throw error("file length \(length) is impossible") }
        return length
    }

    /// Gives the `length` bytes of a file's contents, chunk by chunk, then reads its padding.
    func readContents(_ length: UInt64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var remaining = length
        while remaining > 0 {
            if start == end { try fill(1) }
            let n = Int(min(UInt64(end - start), remaining))
            try body(UnsafeRawBufferPointer(rebasing: buffer[start..<start + n]))
            consume(n)
            remaining -= UInt64(n)
        }
        try readPadding(length)
    }

    /// Reads the `destination.count` bytes of a file's contents into `destination`, then its
    /// padding.
    func readContents(into destination: UnsafeMutableRawBufferPointer) throws {
        try readPiece(into: destination)
        try readPadding(UInt64(destination.count))
    }

    /// Reads the next `destination.count` bytes of a file's contents into `destination` (its
    /// padding is `readPadding`'s); what is not buffered yet is read straight into it, not
    /// copied through the buffer.
    func readPiece(into destination: UnsafeMutableRawBufferPointer) throws {
        let buffered = min(end - start, destination.count)
        if buffered > 0 {
            destination.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: buffered)
            consume(buffered)
        }
        var filled = buffered
        while filled < destination.count {
            let n = try read(UnsafeMutableRawBufferPointer(rebasing: destination[filled...]))
            if n == 0 { throw error("archive is truncated") }
            filled += n
            offset += UInt64(n)
        }
    }

    func expectEnd() throws {
        if end > start { throw error("trailing data after the archive") }
        var byte: UInt8 = 0
        let n = try withUnsafeMutableBytes(of: &byte) { try read($0) }
        if n != 0 { throw error("trailing data after the archive") }
    }
}
