import DevenvBasics
import Glibc

/// Serializes a file tree as a NAR, byte for byte as `nix-store --dump` does (docs/nix-formats.md §1):
/// streaming through one fixed buffer, so memory does not depend on the size of the tree.
public final class NarWriter<Sink: NarSink> {
    public private(set) var sink: Sink
    /// Bytes produced so far: the NAR size once `dump` returned.
    public private(set) var size: UInt64 = 0

    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    /// Names from the root to the entry being written, only for error messages.
    private var trail: [[UInt8]] = []
    private var root = ""

    public init(sink: Sink, bufferSize: Int = 1 << 20) {
        self.sink = sink
        buffer = .allocate(byteCount: bufferSize, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    /// Writes the NAR of the file, symlink or directory at `path` (symlinks are never followed).
    public func dump(_ path: String) throws {
        root = path
        try writeString(Token.magic)
        try writeNode(in: AT_FDCWD, name: Array(path.utf8), depth: 0)
        try flush()
    }

    private var currentPath: String {
        ([root] + trail.map(\.displayString)).joined(separator: "/")
    }

    private func writeNode(in directory: Int32, name: [UInt8], depth: Int) throws {
        let st = try FileTree.status(in: directory, name, display: currentPath, depth: depth)
        try writeString(Token.open)
        try writeString(Token.type)
        if SystemCall.isRegular(st) {
            try writeString(Token.regular)
            if SystemCall.isExecutable(st) {
                try writeString(Token.executable)
                try writeString([])
            }
            try writeString(Token.contents)
            try writeContents(in: directory, name: name, size: Int(st.st_size))
        } else if SystemCall.isSymlink(st) {
            try writeString(Token.symlink)
            try writeString(Token.target)
            try writeString(try SystemCall.readLink(in: directory, name: name, "cannot read symlink '\(currentPath)'"))
        } else if SystemCall.isDirectory(st) {
            try writeString(Token.directory)
            let fd = try SystemCall.retrying("cannot open directory '\(currentPath)'") {
                name.withCString { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            defer { close(fd) }
            for entry in try SystemCall.sortedEntries(ofDirectory: fd, "cannot read directory '\(currentPath)'") {
                trail.append(entry)
                try writeString(Token.entry)
                try writeString(Token.open)
                try writeString(Token.name)
                try writeString(entry)
                try writeString(Token.node)
                try writeNode(in: fd, name: entry, depth: depth + 1)
                try writeString(Token.close)
                trail.removeLast()
            }
        } else {
            throw StoreError("file '\(currentPath)' has an unsupported type")
        }
        try writeString(Token.close)
    }

    /// The file's length word, then its bytes read straight into the buffer, then padding.
    private func writeContents(in directory: Int32, name: [UInt8], size: Int) throws {
        let fd = try SystemCall.retrying("cannot open '\(currentPath)'") {
            name.withCString { openat(directory, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        }
        defer { close(fd) }
        try writeLength(size)
        var remaining = size
        while remaining > 0 {
            if used == buffer.count { try flush() }
            let space = UnsafeMutableRawBufferPointer(rebasing: buffer[used..<min(buffer.count, used + remaining)])
            let n = try SystemCall.readFully(fd, space, "cannot read '\(currentPath)'")
            guard n == space.count else { throw StoreError("file '\(currentPath)' shrank while it was being read") }
            used += n
            remaining -= n
        }
        try writePadding(size)
    }

    private func writeString(_ bytes: [UInt8]) throws {
        try writeLength(bytes.count)
        try bytes.withUnsafeBytes { try append($0) }
        try writePadding(bytes.count)
    }

    private func writeLength(_ length: Int) throws {
        try withUnsafeBytes(of: UInt64(length).littleEndian) { try append($0) }
    }

    private func writePadding(_ length: Int) throws {
        let padding = (8 - length % 8) % 8
        if padding > 0 {
            try withUnsafeBytes(of: UInt64(0)) { try append(UnsafeRawBufferPointer(rebasing: $0[..<padding])) }
        }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            if used == buffer.count { try flush() }
            let n = min(bytes.count - offset, buffer.count - used)
            (buffer.baseAddress! + used).copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
            used += n
            offset += n
        }
    }

    private func flush() throws {
        guard used > 0 else { return }
        try sink.consume(UnsafeRawBufferPointer(rebasing: buffer[..<used]))
        size += UInt64(used)
        used = 0
    }
}

/// The keywords of the NAR grammar.
enum Token {
    static let magic = Array("nix-archive-1".utf8)
    static let open = Array("(".utf8)
    static let close = Array(")".utf8)
    static let type = Array("type".utf8)
    static let regular = Array("regular".utf8)
    static let executable = Array("executable".utf8)
    static let contents = Array("contents".utf8)
    static let symlink = Array("symlink".utf8)
    static let target = Array("target".utf8)
    static let directory = Array("directory".utf8)
    static let entry = Array("entry".utf8)
    static let name = Array("name".utf8)
    static let node = Array("node".utf8)
}

/// One-call NAR operations on a path.
public enum Nar {
    /// The NAR hash and NAR size of the tree at `path`.
    public static func hash(of path: String, algorithm: HashAlgorithm = .sha256) throws -> (hash: Hash, size: UInt64) {
        let writer = NarWriter(sink: HashingSink(algorithm))
        try writer.dump(path)
        return (writer.sink.finalize(), writer.size)
    }

    /// Writes the NAR of `path` to the file descriptor `fd`.
    public static func dump(_ path: String, to fd: Int32) throws {
        try NarWriter(sink: FileDescriptorSink(fd: fd)).dump(path)
    }
}
