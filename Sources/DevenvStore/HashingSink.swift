import Foundation

/// Hashes a NAR without keeping it. Hashing runs on a second thread, so reading the tree and
/// SHA-256 overlap and throughput approaches the speed of SHA-256 itself (docs/benchmarks.md).
/// Always call `finalize`, also after a failure: the hashing thread lives until then.
public final class HashingSink: NarSink, @unchecked Sendable {
    // The writer copies each chunk into a free slot; the hashing thread drains filled slots in
    // order. `free` and `filled` count slots; only the thread that owns a slot touches it.
    private let slotSize: Int
    private let slots: [UnsafeMutableRawBufferPointer]
    private var lengths: [Int]
    // Created at 0 and signalled up: libdispatch traps when a semaphore is destroyed below its
    // initial value.
    private let free = DispatchSemaphore(value: 0)
    private let filled = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var next = 0
    private var hasher: Hasher
    private var result: Hash?

    public init(_ algorithm: HashAlgorithm, slotSize: Int = 1 << 20, slotCount: Int = 4) {
        self.slotSize = slotSize
        slots = (0..<slotCount).map { _ in .allocate(byteCount: slotSize, alignment: 4096) }
        lengths = Array(repeating: 0, count: slotCount)
        for _ in 0..<slotCount { free.signal() }
        hasher = Hasher(algorithm)
        Thread.detachNewThread { [self] in drain() }
    }

    deinit {
        for slot in slots { slot.deallocate() }
    }

    public func consume(_ chunk: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < chunk.count {
            let n = min(slotSize, chunk.count - offset)
            push(UnsafeRawBufferPointer(rebasing: chunk[offset..<offset + n]))
            offset += n
        }
    }

    /// Waits for the hashing thread and returns the digest of everything consumed.
    public func finalize() -> Hash {
        if let result { return result }
        push(UnsafeRawBufferPointer(start: nil, count: 0))
        finished.wait()
        return result!
    }

    private func push(_ chunk: UnsafeRawBufferPointer) {
        free.wait()
        if chunk.count > 0 { slots[next].copyMemory(from: chunk) }
        lengths[next] = chunk.count
        next = (next + 1) % slots.count
        filled.signal()
    }

    private func drain() {
        var index = 0
        while true {
            filled.wait()
            let length = lengths[index]
            if length == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: slots[index][..<length]))
            free.signal()
            index = (index + 1) % slots.count
        }
        result = hasher.finalize()
        finished.signal()
    }
}
