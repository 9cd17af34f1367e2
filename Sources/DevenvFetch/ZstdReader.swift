import CZstd
import DevenvBasics
import Foundation
import Glibc

/// A zstd stream (one frame or several) read decompressed from a source, a buffer at a time,
/// with libzstd directly: the decompressed bytes go straight into the caller's buffer (through
/// libarchive they took one more copy), and the decompression context, whose window is the
/// largest memory a NAR's unpacking touches, is used again by the next stream instead of being
/// allocated, and page-faulted in, for every NAR of a closure.
public final class ZstdReader {
    /// The most one read gives, whatever the buffer (libzstd's `ZSTD_DStreamOutSize`): a larger
    /// one decompresses no faster, and only touches more of the caller's pages (fresh ones cost a
    /// page fault each: a third more faults for python313's closure).
    static let largestRead = 1 << 17
    private let source: (UnsafeMutableRawBufferPointer) throws -> Int
    private let name: String
    private let decoder: ZstdDecoder
    private var input: ZSTD_inBuffer
    private var atEnd = false
    /// Whether the last frame read is complete (with nothing of it left to give).
    private var frameDone = false

    /// What `source` gives (as much as it has, 0 at the end), named `name` in errors.
    public init(name: String, source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        self.source = source
        self.name = name
        decoder = try ZstdDecoder.take()
        input = ZSTD_inBuffer(src: decoder.buffer.baseAddress, size: 0, pos: 0)
    }

    deinit { ZstdDecoder.give(decoder) }

    /// Puts the next decompressed bytes at the start of `buffer`; how many, 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: min(buffer.count, ZstdReader.largestRead), pos: 0)
        while true {
            // Called even without new input: what the last call could not give out comes first.
            let consumed = input.pos
            let hint = ZSTD_decompressStream(decoder.context, &output, &input)
            if ZSTD_isError(hint) != 0 {
                throw FetchError("cannot decompress '\(name)': \(String(cString: ZSTD_getErrorName(hint)))")
            }
            // A call that neither reads nor gives anything (after a frame's end) starts no frame.
            if hint == 0 || input.pos > consumed || output.pos > 0 { frameDone = hint == 0 }
            if output.pos > 0 { return output.pos }
            guard input.pos == input.size else { continue }
            if atEnd {
                guard frameDone else { throw FetchError("cannot decompress '\(name)': the zstd stream is truncated") }
                return 0
            }
            let n = try source(decoder.buffer)
            atEnd = n == 0
            input = ZSTD_inBuffer(src: decoder.buffer.baseAddress, size: n, pos: 0)
        }
    }
}

/// A decompression context and an input buffer, kept for the next stream once one is done.
final class ZstdDecoder: @unchecked Sendable {
    let context: OpaquePointer
    let buffer: UnsafeMutableRawBufferPointer

    private init() throws {
        guard let context = ZSTD_createDCtx() else { throw FetchError("cannot make a zstd decompression context") }
        self.context = context
        // What libcurl gives at once (its buffer is as large), or a piece of a file: larger, each
        // decoder in use at once (one per NAR unpacked) only touches more fresh pages.
        buffer = BufferPool.shared.take(256 << 10)
    }

    deinit {
        ZSTD_freeDCtx(context)
        BufferPool.shared.give(buffer)
    }

    private static let lock = NSLock()
    /// As many as were in use at once, up to a few (a closure's NARs are unpacked side by side).
    nonisolated(unsafe) private static var idle: [ZstdDecoder] = []

    static func take() throws -> ZstdDecoder {
        if let decoder = lock.withLock({ idle.popLast() }) {
            ZSTD_DCtx_reset(decoder.context, ZSTD_reset_session_only)
            return decoder
        }
        return try ZstdDecoder()
    }

    /// Kept only with a window NARs are usually compressed with: a stream may ask for up to
    /// 128 MiB (libzstd's limit), which is not worth keeping once that stream is done.
    static func give(_ decoder: ZstdDecoder) {
        guard ZSTD_sizeof_DCtx(decoder.context) <= 16 << 20 else { return }
        lock.withLock { if idle.count < 8 { idle.append(decoder) } }
    }
}
