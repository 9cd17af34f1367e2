import DevenvBasics
import Foundation
import Glibc
import TestSupport
import Testing

@testable import DevenvFetch

/// Reading zstd streams that the zstd program wrote, compared with what it compressed: a frame at
/// a time (`ZstdReader`) and frames side by side (`ZstdFrameReader`).
struct ZstdReaderTests {
    /// Everything `file` decompresses to, read `size` bytes at a time at most, by `ZstdFrameReader`
    /// when `inFrames`.
    func decompressed(_ file: String, by size: Int, inFrames: Bool) throws -> Data {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        // Reads of at most 100 000 bytes: the stream arrives in pieces, as a download does.
        let source = { (buffer: UnsafeMutableRawBufferPointer) in
            Glibc.read(fd, buffer.baseAddress, min(buffer.count, 100_000))
        }
        let read =
            inFrames
            ? ZstdFrameReader(name: file, threads: 3, source: source).read(into:)
            : try ZstdReader(name: file, source: source).read(into:)
        var result = Data()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while case let n = try read(buffer), n > 0 {
            result.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return result
    }

    @Test(arguments: [false, true])
    func framesOneAfterAnotherAndSkippableOnesReadAsTheirContents(inFrames: Bool) throws {
        let dir = try TemporaryDirectory("zstd")
        // Larger than a window and than the input buffer; a skippable frame (magic 0x184D2A50,
        // 4 bytes of content) between two frames, as pzstd writes them; a frame larger than
        // ZstdFrameReader decompresses whole, and one that does not say its size (from a pipe).
        try dir.sh(
            """
            head -c 3000000 /dev/urandom > a; seq 1 400000 > b; seq 1 2000000 > c; cat a b a c b > all
            zstd -q -3 a -o a.zst; zstd -q -19 b -o b.zst; zstd -q c -o c.zst; zstd -q < b > b.piped.zst
            printf '\\120\\052\\115\\030\\004\\000\\000\\000skip' > skippable
            cat a.zst b.zst skippable a.zst c.zst b.piped.zst > all.zst
            """)
        let expected = try Data(contentsOf: URL(fileURLWithPath: dir("all")))
        for size in [1000, 1 << 16, 4 << 20] {
            #expect(try decompressed(dir("all.zst"), by: size, inFrames: inFrames) == expected, "read by \(size)")
        }
        // A second stream after the first is done (its decoder used again) reads the same.
        #expect(
            try decompressed(dir("b.zst"), by: 1 << 16, inFrames: inFrames)
                == Data(contentsOf: URL(fileURLWithPath: dir("b"))))
    }

    /// Tiny frames (decompressed by the thread that finds them, many into one piece) between
    /// large ones (decompressed side by side) come out in order.
    @Test func manyTinyFramesAmongLargeOnesReadInOrder() throws {
        let dir = try TemporaryDirectory("zstd")
        try dir.sh(
            """
            echo tiny > t; zstd -q t -o t.zst; seq 1 1000000 > b; zstd -q b -o b.zst
            python3 - <<'PY'
            def read(name): return open(name, "rb").read()
            for suffix, tiny, big in ((".zst", read("t.zst"), read("b.zst")), ("", read("t"), read("b"))):
                open("all" + suffix, "wb").write(tiny * 50000 + big + tiny * 3 + big + tiny * 70000)
            PY
            """)
        #expect(
            try decompressed(dir("all.zst"), by: 1 << 16, inFrames: true)
                == Data(contentsOf: URL(fileURLWithPath: dir("all"))))
    }

    @Test(arguments: [false, true])
    func aTruncatedEmptyOrForeignStreamIsAnError(inFrames: Bool) throws {
        let dir = try TemporaryDirectory("zstd")
        try dir.sh(
            """
            seq 1 100000 > b; zstd -q b -o b.zst; head -c 1000 b.zst > cut.zst; : > empty.zst
            xz -k b; cp b.zst trailing.zst; printf 'garbage' >> trailing.zst
            """)
        for (file, message) in [
            ("cut.zst", "the zstd stream is truncated"), ("empty.zst", "the zstd stream is truncated"),
            ("b.xz", "Unknown frame descriptor"), ("trailing.zst", "Unknown frame descriptor"),
        ] {
            #expect(throws: FetchError("cannot decompress '\(dir(file))': \(message)")) {
                try decompressed(dir(file), by: 1 << 16, inFrames: inFrames)
            }
        }
    }

    /// A hostile frame whose header gives another size than it decompresses to is refused,
    /// whichever side it errs on, and the frames after it are not read as if it were right.
    @Test func aFrameThatLiesAboutItsSizeIsAnError() throws {
        let dir = try TemporaryDirectory("zstd")
        try dir.sh(
            """
            seq 1 300000 > b; zstd -q b -o b.zst; seq 1 1000 > t; zstd -q t -o t.zst
            python3 - <<'PY'
            for frame in ("b", "t"):
                data = open(frame + ".zst", "rb").read()
                fhd = data[4]
                at = 5 + (0 if fhd & 0x20 else 1) + [0, 1, 2, 4][fhd & 3]
                width = [1 if fhd & 0x20 else 0, 2, 4, 8][fhd >> 6]
                size = int.from_bytes(data[at:at + width], "little")
                for name, wrong in (("more", size + 1), ("less", size - 1)):
                    open(f"{name}-{frame}.zst", "wb").write(
                        data[:at] + wrong.to_bytes(width, "little") + data[at + width:] + data)
            PY
            """)
        // A large frame (decompressed by a thread of its own) and a small one (by the thread that
        // finds it).
        for file in ["more-b.zst", "less-b.zst", "more-t.zst", "less-t.zst"] {
            let error = #expect(throws: FetchError.self) {
                try decompressed(dir(file), by: 1 << 16, inFrames: true)
            }
            #expect("\(error.map { "\($0)" } ?? "")".hasPrefix("cannot decompress '\(dir(file))': "))
        }
    }

    /// What `Compressor` writes with zstd: frames of 2 MiB that each say their size, the same
    /// bytes whatever the threads, read back by the zstd program and by both readers.
    @Test func compressedZstdIsFramesThatSayTheirSize() throws {
        let dir = try TemporaryDirectory("zstd")
        try dir.sh("head -c 4000000 /dev/urandom > a; seq 1 1000000 > b; cat a b > all")
        let input = try Data(contentsOf: URL(fileURLWithPath: dir("all")))
        for threads in [1, 3] {
            let compressor = try Compressor(to: dir("all.\(threads).zst"), with: .zstd, threads: threads)
            // In uneven pieces, as a NAR is dumped.
            let pieces = [1, 70_000, 3 << 20, 5 << 20]
            var offset = 0
            var turn = 0
            while offset < input.count {
                let n = min(pieces[turn % pieces.count], input.count - offset)
                try input[offset..<offset + n].withUnsafeBytes { try compressor.consume($0) }
                offset += n
                turn += 1
            }
            try compressor.finish()
        }
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: dir("all.1.zst")))
                == Data(contentsOf: URL(fileURLWithPath: dir("all.3.zst"))))
        let listing = try dir.sh("zstd -lv all.1.zst; zstd -dc all.1.zst | cmp - all && echo same")
        #expect(listing.contains("# Zstandard Frames: 6"))
        #expect(listing.contains("Decompressed Size: "))
        #expect(listing.contains("same"))
        for inFrames in [false, true] {
            #expect(try decompressed(dir("all.1.zst"), by: 1 << 16, inFrames: inFrames) == input)
        }
        // Nothing in is one empty frame.
        let empty = try Compressor(to: dir("empty.zst"), with: .zstd)
        try empty.finish()
        #expect(try decompressed(dir("empty.zst"), by: 1 << 16, inFrames: true).isEmpty)
    }

    /// A link planted where a compressed file is to be written (a cache directory is anyone's)
    /// is refused, whatever the method: nothing is written through it.
    @Test(arguments: Compressor.Method.allCases)
    func aCompressorNeverWritesThroughALink(_ method: Compressor.Method) throws {
        let dir = try TemporaryDirectory("compress-link")
        try dir.sh("echo original > victim && ln -s victim planted")
        #expect(throws: SystemError.self) { try Compressor(to: dir("planted"), with: method) }
        #expect(try dir.sh("cat victim") == "original")
    }
}

extension ZstdReaderTests {
    /// A compressed frame's buffer goes back to the pool only once the frame is written: back
    /// before, it can be another thread's while it is being written (`cache push` compressing two
    /// NARs at once wrote a corrupt frame now and then).
    @Test(arguments: [1, 3])
    func aFrameIsItsOwnUntilWritten(threads: Int) throws {
        var overwritten = 0
        let writer = ZstdFrameWriter(threads: threads) { bytes in
            let before = Array(bytes)
            // What another thread could do: take the buffers of each size given back last (a
            // frame's is its bound rounded up to a MiB), and fill them.
            let taken = (1...3).map { BufferPool.shared.take($0 << 20) }
            for buffer in taken { buffer.initializeMemory(as: UInt8.self, repeating: 0xA5) }
            if Array(bytes) != before { overwritten += 1 }
            for buffer in taken { BufferPool.shared.give(buffer) }
        }
        let input = (0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 >> 3) }
        try input.withUnsafeBytes { try writer.consume($0) }
        try writer.finish()
        #expect(overwritten == 0)
    }
}
