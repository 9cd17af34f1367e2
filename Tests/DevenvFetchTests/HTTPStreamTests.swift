import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import TestSupport
import Testing

/// A download read as it arrives, in buffers of any size, by the thread that reads it.
struct HTTPStreamTests {
    /// Everything `stream` gives, read `size` bytes at a time at most.
    func everything(_ stream: HTTPStream, by size: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeTemporaryAllocation(byteCount: size, alignment: 16) { buffer in
            while case let n = stream.read(into: buffer), n > 0 { bytes += buffer[..<n] }
        }
        return bytes
    }

    @Test(arguments: [1, 1000, 1 << 20])
    func whatArrivesIsReadWholeAndItsHashAndSizeAreSaid(by size: Int) throws {
        let fixture = try FetchFixture()
        let stream = try fixture.fetcher().stream(fixture.server.url("blob.bin"), limit: 1 << 20)
        let bytes = everything(stream, by: size)
        #expect(bytes == Array(try Data(contentsOf: URL(fileURLWithPath: fixture.dir("served/blob.bin")))))
        let arrived = try stream.finish().get()
        #expect(arrived.size == 300_000)
        #expect(arrived.hash == (try fixture.hash("blob.bin")))
    }

    @Test func aFailureEndsTheBytesAndFinishSaysWhatItWas() throws {
        let fixture = try FetchFixture()
        let fetcher = fixture.fetcher()
        // The server's error page is not the file: nothing is read.
        let missing = try fetcher.stream(fixture.server.url("nothing-here"), limit: 1 << 20)
        #expect(everything(missing, by: 4096).isEmpty)
        #expect(throws: FetchError.self) { try missing.finish().get() }
        if case .failure(let error as FetchError) = missing.finish() { #expect(error.isNotFound) }
        // Broken off half way: what came is read, then nothing more.
        let cut = try fetcher.stream(fixture.server.url("cut/1/blob.bin"), limit: 1 << 20)
        #expect(everything(cut, by: 4096).count < 300_000)
        #expect(throws: FetchError.self) { try cut.finish().get() }
        // More than the limit: stopped there.
        let large = try fetcher.stream(fixture.server.url("blob.bin"), limit: 1000)
        #expect(everything(large, by: 4096).count <= 1000)
        #expect(throws: DownloadTooLarge.self) { try large.finish().get() }
    }

    @Test func aCancelledStreamGivesNothingMore() throws {
        let fixture = try FetchFixture()
        let stream = try fixture.fetcher().stream(fixture.server.url("slow/blob.bin"), limit: 1 << 20)
        stream.cancel()
        #expect(everything(stream, by: 4096).isEmpty)
        #expect(throws: FetchError.self) { try stream.finish().get() }
    }
}
