import DevenvBasics
import Foundation
import Glibc
import TestSupport
import Testing

@testable import DevenvFetch

/// Reading zstd streams that the zstd program wrote, compared with what it compressed.
struct ZstdReaderTests {
    /// Everything `file` decompresses to, read `size` bytes at a time at most.
    func decompressed(_ file: String, by size: Int) throws -> Data {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let reader = try ZstdReader(descriptor: fd, name: file)
        var result = Data()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while case let n = try reader.read(into: buffer), n > 0 {
            result.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return result
    }

    @Test func framesOneAfterAnotherAndSkippableOnesReadAsTheirContents() throws {
        let dir = try TemporaryDirectory("zstd")
        // Larger than a window and than the input buffer; a skippable frame (magic 0x184D2A50,
        // 4 bytes of content) between two frames, as pzstd writes them.
        try dir.sh(
            """
            head -c 3000000 /dev/urandom > a; seq 1 400000 > b; cat a b a > all
            zstd -q -3 a -o a.zst; zstd -q -19 b -o b.zst
            printf '\\120\\052\\115\\030\\004\\000\\000\\000skip' > skippable
            cat a.zst b.zst skippable a.zst > all.zst
            """)
        let expected = try Data(contentsOf: URL(fileURLWithPath: dir("all")))
        for size in [1000, 1 << 16, 4 << 20] {
            #expect(try decompressed(dir("all.zst"), by: size) == expected, "read by \(size)")
        }
        // A second stream after the first is done (its decoder used again) reads the same.
        #expect(try decompressed(dir("b.zst"), by: 1 << 16) == Data(contentsOf: URL(fileURLWithPath: dir("b"))))
    }

    @Test func aTruncatedEmptyOrForeignStreamIsAnError() throws {
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
                try decompressed(dir(file), by: 1 << 16)
            }
        }
    }
}
