import CZstd
import DevenvBasics
import Foundation

/// A zstd stream written as independent frames of `frameSize` bytes of input each, every frame
/// saying its size, compressed side by side on `threads` threads: `ZstdFrameReader` decompresses
/// it on as many threads, while to any other zstd reader (Nix's) it is one ordinary stream. The
/// output depends only on the input, not on the threads.
final class ZstdFrameWriter {
    /// zstd's window at this level: the ratio stays within 1% of one frame's (go's NAR: 0.75%;
    /// frames of 4 MiB, 0.35%). Each frame a reader has in flight takes its size, decompressed,
    /// and a closure's NARs are unpacked side by side: with 4 MiB, substituting python313 touched
    /// a fifth more memory (docs/benchmarks.md).
    static let frameSize = 2 << 20
    /// zstd's default, and libarchive's.
    static let level: Int32 = 3
    private let write: (UnsafeRawBufferPointer) throws -> Void
    private let work: OrderedWork?
    private var chunk = PooledBuffer(capacity: frameSize)
    private var frames = 0

    /// Writes with `write`, in order, from the thread that calls `consume` and `finish`.
    init(threads: Int, write: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        work = threads > 1 ? OrderedWork(threads: threads, depth: 2 * threads) : nil
        self.write = write
    }

    deinit { work?.cancel() }

    func consume(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            let n = min(rest.count, Self.frameSize - chunk.count)
            UnsafeMutableRawBufferPointer(rebasing: chunk.bytes[chunk.count..<chunk.count + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[..<n]))
            chunk.count += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if chunk.count == Self.frameSize { try endFrame() }
        }
    }

    /// Writes the last frame (an empty stream is one empty frame) and what is still compressing.
    func finish() throws {
        if chunk.count > 0 || frames == 0 { try endFrame() }
        guard let work else { return }
        work.close()
        while let frame = try work.next() { try frame.withFilled(write) }
    }

    private func endFrame() throws {
        let input = chunk
        chunk = PooledBuffer(capacity: Self.frameSize)
        frames += 1
        guard let work else { return try Self.compress(input).withFilled(write) }
        while work.isFull, let frame = try work.next() { try frame.withFilled(write) }
        work.add { try Self.compress(input) }
    }

    private static func compress(_ input: PooledBuffer) throws -> PooledBuffer {
        let output = PooledBuffer(capacity: ZSTD_compressBound(input.count))
        let encoder = try ZstdEncoder.take()
        defer { ZstdEncoder.give(encoder) }
        let n = ZSTD_compressCCtx(
            encoder.context, output.bytes.baseAddress, output.bytes.count, input.bytes.baseAddress, input.count, level)
        guard ZSTD_isError(n) == 0 else {
            throw FetchError("cannot compress: \(String(cString: ZSTD_getErrorName(n)))")
        }
        output.count = n
        return output
    }
}

/// A compression context, kept for the next frame once one is done.
private final class ZstdEncoder: @unchecked Sendable {
    let context: OpaquePointer

    private init() throws {
        guard let context = ZSTD_createCCtx() else { throw FetchError("cannot make a zstd compression context") }
        self.context = context
    }

    deinit { ZSTD_freeCCtx(context) }

    private static let lock = NSLock()
    /// As many as were in use at once, up to a few.
    nonisolated(unsafe) private static var idle: [ZstdEncoder] = []

    static func take() throws -> ZstdEncoder {
        try lock.withLock({ idle.popLast() }) ?? ZstdEncoder()
    }

    static func give(_ encoder: ZstdEncoder) {
        lock.withLock { if idle.count < 8 { idle.append(encoder) } }
    }
}
