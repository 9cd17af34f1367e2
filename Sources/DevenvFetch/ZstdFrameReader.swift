import CZstd
import DevenvBasics
import Foundation

/// A zstd stream read decompressed, its frames decompressed side by side on several threads: a
/// stream `ZstdFrameWriter` wrote (what `devenv cache push` puts in a cache) decompresses about as
/// many times faster as there are cores, which is most of the time a large NAR takes to
/// substitute. A frame whose header does not give its size, or gives more than `largestFrame`
/// (one frame for the whole stream, as Nix writes), is decompressed a piece at a time in its
/// turn, as `ZstdReader` does; memory stays bounded whatever the stream.
public final class ZstdFrameReader {
    /// The largest frame decompressed whole, side by side with others: the frames devenv writes
    /// (4 MiB in caches it pushed before 2026-12-02), so that what a hostile stream's frames hold
    /// in flight is a few MiB each.
    static let largestFrame = 4 << 20
    private let work: OrderedWork
    private var current: PooledBuffer?
    private var offset = 0
    /// Thrown again by every later read: the frames after a failed one are not the stream's.
    private var failure: (any Error)?

    /// What `source` gives, named `name` in errors. `source` is called on a thread of the
    /// reader's own, and may give less than the buffer it is given (what a socket has).
    public init(name: String, threads: Int, source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        work = OrderedWork(threads: threads, depth: threads + 1)
        let splitter = FrameSplitter(name: name, work: work, source: source)
        Thread.detachNewThread { splitter.run() }
    }

    /// A reader that stops early stops the threads too.
    deinit { work.cancel() }

    /// Puts the next decompressed bytes at the start of `buffer`; how many, 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        while current == nil {
            let next: PooledBuffer?
            do {
                next = try work.next()
            } catch {
                failure = error
                throw error
            }
            guard let next else { return 0 }
            if next.count > 0 { current = next }
        }
        let piece = current!
        let n = min(buffer.count, piece.count - offset)
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: piece.bytes[offset..<offset + n]))
        offset += n
        if offset == piece.count {
            current = nil
            offset = 0
        }
        return n
    }
}

/// Cuts the compressed stream into frames and hands each to `work`, on a thread of its own.
private final class FrameSplitter: @unchecked Sendable {
    /// A frame header's largest size (`ZSTD_FRAMEHEADERSIZE_MAX`).
    private static let headerSize = 18
    /// Frames this small are decompressed here, one after another into `piece`: a stream of
    /// many tiny frames costs what decompressing them costs, not a hand-off each.
    private static let smallFrame = 64 << 10
    private let name: String
    private let work: OrderedWork
    private let source: (UnsafeMutableRawBufferPointer) throws -> Int
    /// The compressed stream read and not yet handed over starts at `start`; room for the
    /// largest frame decompressed whole, with its block headers.
    private let input = PooledBuffer(capacity: ZstdFrameReader.largestFrame + (1 << 20))
    private var start = 0
    private var atEnd = false
    private var frames = 0
    /// What the frames decompressed here gave, not yet handed over.
    private var piece: PooledBuffer?
    /// For the frames decompressed here.
    private var decoder: ZstdDecoder?

    init(name: String, work: OrderedWork, source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.name = name
        self.work = work
        self.source = source
    }

    func run() {
        do {
            decoder = try ZstdDecoder.take()
            while !work.isCancelled, try nextFrame() {}
            handOver()
        } catch {
            work.add(done: .failure(error))
        }
        work.close()
        decoder.map(ZstdDecoder.give)
    }

    private var pending: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: input.bytes[start..<input.count]) }

    /// Reads more of the stream after what is pending; false when there is no room.
    private func readMore() throws -> Bool {
        if start > 0 {
            let kept = input.count - start
            if kept > 0 { memmove(input.bytes.baseAddress!, input.bytes.baseAddress! + start, kept) }
            input.count = kept
            start = 0
        }
        guard input.count < input.bytes.count else { return false }
        // A MiB at most: the buffer is touched only as far as frames need it.
        let room = input.bytes[input.count..<min(input.count + (1 << 20), input.bytes.count)]
        let n = try source(UnsafeMutableRawBufferPointer(rebasing: room))
        atEnd = n == 0
        input.count += n
        return true
    }

    /// Hands the next frame over; false at the end of the stream.
    private func nextFrame() throws -> Bool {
        while pending.count < Self.headerSize && !atEnd { _ = try readMore() }
        if pending.isEmpty {
            guard frames > 0 else { throw truncated }
            return false
        }
        frames += 1
        // Unknown sizes and errors are larger than any frame: decompressed in their turn, which
        // says what is wrong.
        let size = ZSTD_getFrameContentSize(pending.baseAddress, pending.count)
        if size <= UInt64(ZstdFrameReader.largestFrame) {
            // Asked again only once what is pending has doubled: a frame of many tiny blocks
            // costs no more to find than to decompress, however slowly its bytes come.
            var asked = 0
            while true {
                if pending.count >= 2 * asked || atEnd || input.count == input.bytes.count {
                    asked = pending.count
                    let length = ZSTD_findFrameCompressedSize(pending.baseAddress, pending.count)
                    if ZSTD_isError(length) == 0 {
                        if size <= Self.smallFrame {
                            try decompressHere(length: length, size: Int(size))
                        } else {
                            handOver()
                            decompressWhole(length: length, size: Int(size))
                        }
                        return true
                    }
                }
                guard !atEnd, !work.isCancelled, try readMore() else { break }
            }
        }
        try decompressInTurn()
        return true
    }

    /// Decompresses the small frame at `start`, `length` bytes that decompress to `size`, after
    /// what `piece` holds.
    private func decompressHere(length: Int, size: Int) throws {
        if let piece, piece.count + size > piece.bytes.count { handOver() }
        let piece = openPiece()
        let n = ZSTD_decompressDCtx(
            decoder!.context, piece.bytes.baseAddress! + piece.count, size, pending.baseAddress, length)
        try Self.check(n, name, size: size)
        piece.count += n
        start += length
    }

    /// The piece the frames decompressed here go into: the one not handed over yet, or a new one.
    private func openPiece() -> PooledBuffer {
        let piece = self.piece ?? PooledBuffer(capacity: 1 << 20)
        self.piece = piece
        return piece
    }

    private func handOver() {
        guard let piece else { return }
        self.piece = nil
        work.add(done: .success(piece))
    }

    /// Throws libzstd's error, if `result` is one; and when a whole frame was decompressed into
    /// `size` bytes, unless it gave them all (libzstd checks a frame's size, but not an old
    /// format's).
    private static func check(_ result: Int, _ name: String, size: Int? = nil) throws {
        if ZSTD_isError(result) != 0 {
            throw FetchError("cannot decompress '\(name)': \(String(cString: ZSTD_getErrorName(result)))")
        }
        if let size, result != size {
            throw FetchError("cannot decompress '\(name)': a frame is not the size its header gives")
        }
    }

    private var truncated: FetchError { FetchError("cannot decompress '\(name)': the zstd stream is truncated") }

    /// Hands the frame at `start`, `length` bytes that decompress to `size`, to a thread of `work`.
    private func decompressWhole(length: Int, size: Int) {
        let frame = PooledBuffer(capacity: length)
        frame.bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: pending[..<length]))
        frame.count = length
        start += length
        work.add { [name] in
            let output = PooledBuffer(capacity: size)
            let decoder = try ZstdDecoder.take()
            defer { ZstdDecoder.give(decoder) }
            let n = ZSTD_decompressDCtx(
                decoder.context, output.bytes.baseAddress, size, frame.bytes.baseAddress, length)
            try Self.check(n, name, size: size)
            output.count = n
            return output
        }
    }

    /// Decompresses the frame at `start` here, into `piece`, handing it over whenever it is full.
    private func decompressInTurn() throws {
        let context = decoder!.context
        ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        while !work.isCancelled {
            let piece = openPiece()
            var output = ZSTD_outBuffer(dst: piece.bytes.baseAddress, size: piece.bytes.count, pos: piece.count)
            var from = ZSTD_inBuffer(src: pending.baseAddress, size: pending.count, pos: 0)
            let hint = ZSTD_decompressStream(context, &output, &from)
            start += from.pos
            piece.count = output.pos
            try Self.check(hint, name)
            if hint == 0 { return }
            if output.pos == output.size {
                handOver()
            } else if pending.isEmpty {
                guard !atEnd else { throw truncated }
                _ = try readMore()
            }
        }
    }
}
