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
