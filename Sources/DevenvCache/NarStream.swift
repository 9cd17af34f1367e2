import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

/// The NAR of a narinfo, read decompressed from its file a buffer at a time and hashed as it is
/// read, so a NAR reader unpacks it in the same pass; `finish` then says whether it had the
/// narinfo's `NarHash` and `NarSize`. A NAR that grows past its `NarSize` is cut off at once.
final class NarStream {
    private let read: (UnsafeMutableRawBufferPointer) throws -> Int
    private let digest: NarDigest
    private let info: NarInfo
    private let source: String

    /// `file` is the NAR file as the cache has it: on disk, or arriving (`NarDownload`).
    init(file: NarFile, info: NarInfo, source: String) throws {
        guard ["xz", "zstd", "bzip2", "gzip", "none"].contains(info.compression) else {
            throw CacheError("\(source): compression '\(info.compression)' is not one devenv reads")
        }
        if info.compression == "none" {
            read = file.read
        } else {
            // A file that does not decompress is this NAR's fault, not the cache's being down.
            // A large NAR's zstd frames are decompressed side by side, on threads of their own
            // that read the file as it comes; smaller NARs are unpacked side by side instead, and
            // the memory of several frames in flight for each would be many times the ring's.
            let inFrames = info.compression == "zstd" && info.narSize >= NarReader.parallelSize
            let decompressor = try NarStream.blamingTheNar(source) {
                () throws -> (UnsafeMutableRawBufferPointer) throws -> Int in
                if inFrames {
                    // Up to four: beyond, the reading thread's hashing and parsing is what waits.
                    return ZstdFrameReader(
                        name: file.name, threads: min(4, ProcessInfo.processInfo.activeProcessorCount),
                        source: file.read
                    ).read(into:)
                }
                return info.compression == "zstd"
                    ? try ZstdReader(name: file.name, source: file.read).read(into:)
                    : try Decompressor(name: file.name, compression: info.compression, source: file.read).read(into:)
            }
            let decompress = { buffer in try NarStream.blamingTheNar(source) { try decompressor(buffer) } }
            // Decompressing takes about as long as unpacking what it gives: on a thread of its
            // own.
            read = info.narSize < NarReader.smallSize || inFrames ? decompress : ReadAhead(decompress).read(into:)
        }
        // Hashed by the thread that reads the NAR, as it reads it: the bytes are in its cache then.
        digest = NarDigest(info.narHash.algorithm, limit: info.narSize, source: source)
        self.info = info
        self.source = source
    }

    private static func blamingTheNar<T>(_ source: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FetchError {
            throw CacheError("\(source): its NAR file does not decompress: \(error)")
        }
    }

    /// Fills `buffer` with the next bytes of the NAR; how many, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try read(buffer)
        try digest.add(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        return n
    }

    /// Reads what is left, and checks the NAR's hash and size.
    func finish() throws {
        try withUnsafeTemporaryAllocation(byteCount: 1 << 16, alignment: 4096) { buffer in
            while try read(into: buffer) > 0 {}
        }
        guard digest.size == info.narSize, digest.finalize() == info.narHash else {
            throw CacheError("\(source): its NAR does not have the NarHash and NarSize")
        }
    }

    /// Writes the whole NAR into the new file `target`, then checks it.
    func write(to target: String) throws {
        let fd = try SystemCall.retrying("cannot create '\(target)'") {
            open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        defer { close(fd) }
        try withUnsafeTemporaryAllocation(byteCount: 1 << 20, alignment: 4096) { buffer in
            while case let n = try read(into: buffer), n > 0 {
                try SystemCall.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[..<n]), "cannot write '\(target)'")
            }
        }
        try finish()
    }
}

/// The hash and size of a NAR as it is read.
private final class NarDigest {
    private var hasher: Hasher
    private let limit: UInt64
    private let source: String
    private(set) var size: UInt64 = 0

    init(_ algorithm: HashAlgorithm, limit: UInt64, source: String) {
        hasher = Hasher(algorithm)
        self.limit = limit
        self.source = source
    }

    func add(_ bytes: UnsafeRawBufferPointer) throws {
        size += UInt64(bytes.count)
        guard size <= limit else { throw CacheError("\(source): its NAR is larger than its NarSize") }
        hasher.update(bytes)
    }

    func finalize() -> Hash { hasher.finalize() }
}

/// A NAR file as the cache has it, read a buffer at a time (a read may give less than the
/// buffer, as much as has arrived): a file on disk (`FileReader`), or a download as it arrives
/// (`NarDownload`). What reads it holds it, on whichever thread decompresses it.
struct NarFile {
    /// For errors.
    let name: String
    let read: (UnsafeMutableRawBufferPointer) throws -> Int
}

/// A file on disk read a buffer at a time, its descriptor closed once nothing reads it: the
/// thread that decompresses it (`ReadAhead`) may still be in a read when the substituter is done
/// with it, and a descriptor closed under it could meanwhile be reused by another file.
final class FileReader: @unchecked Sendable {
    private let fd: Int32
    private let path: String

    init(_ path: String) throws {
        fd = try SystemCall.retrying("cannot open '\(path)'") { open(path, O_RDONLY | O_CLOEXEC) }
        self.path = path
    }

    deinit { close(fd) }

    /// The file for `NarStream`, which keeps this open while it reads.
    var narFile: NarFile {
        NarFile(name: path) { [self] buffer in try SystemCall.readFully(fd, buffer, "cannot read '\(path)'") }
    }
}
