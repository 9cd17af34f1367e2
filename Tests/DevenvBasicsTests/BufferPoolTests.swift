import Foundation
import Testing

@testable import DevenvBasics

struct BufferPoolTests {
    @Test func aBufferGivenBackIsTakenAgainAndWhatIsKeptIsBounded() {
        let pool = BufferPool(limit: 3 << 20)
        let first = pool.take(1 << 20)
        #expect(first.count == 1 << 20 && Int(bitPattern: first.baseAddress) % 4096 == 0)
        pool.give(first)
        #expect(pool.idleBytes == 1 << 20)
        let again = pool.take(1 << 20)
        #expect(again.baseAddress == first.baseAddress && pool.idleBytes == 0)
        // Another size is not served from it.
        let other = pool.take(2 << 20)
        #expect(other.count == 2 << 20)
        // More than the pool keeps: past its limit, buffers given back are freed.
        let many = (0..<5).map { _ in pool.take(1 << 20) }
        for buffer in many + [again, other] { pool.give(buffer) }
        #expect(pool.idleBytes == 3 << 20)
    }
}

extension BufferPoolTests {
    /// Where the kernel offers transparent huge pages, a large buffer is made of them once touched.
    @Test func aLargeBufferIsMadeOfHugePages() throws {
        let pool = BufferPool(limit: 0)
        let buffer = pool.take(4 << 20)
        defer { pool.give(buffer) }
        let start = Int(bitPattern: buffer.baseAddress)
        #expect(start % (2 << 20) == 0)
        let setting =
            (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
        guard !setting.contains("[never]") else { return }
        for offset in stride(from: 0, to: buffer.count, by: 4096) { buffer[offset] = 1 }
        // The mapping holding the buffer, in /proc/self/smaps (read to its end: Foundation reads
        // a file of size 0 only as far as its first read): its `AnonHugePages:` line.
        let smaps = try #require(try FileHandle(forReadingAtPath: "/proc/self/smaps")?.readToEnd())
        let lines = String(decoding: smaps, as: UTF8.self).split(separator: "\n")
        let header = try #require(
            lines.firstIndex {
                let range = $0.prefix { $0 != " " }.split(separator: "-").compactMap { Int($0, radix: 16) }
                return range.count == 2 && range[0] <= start && start < range[1]
            })
        let huge = lines[(header + 1)...].first { $0.hasPrefix("AnonHugePages:") }
        let kilobytes = huge.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        #expect(kilobytes >= 4096, "\(huge ?? "no AnonHugePages line")")
    }
}
