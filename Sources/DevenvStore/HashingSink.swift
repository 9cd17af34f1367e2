import Foundation

/// Hashes a NAR without keeping it. Hashing runs on a second thread, so reading the tree and
/// SHA-256 overlap and throughput approaches the speed of SHA-256 itself (docs/benchmarks.md).
public final class HashingSink: NarSink {
    private let pipeline: Pipeline
    private var result: Hash?

    public init(_ algorithm: HashAlgorithm) {
        pipeline = Pipeline(Hasher(algorithm))
        Thread.detachNewThread { [pipeline] in pipeline.drain() }
    }

    /// A sink dropped without `finalize` (say, after a failed dump) still stops its thread.
    deinit {
        if result == nil { _ = pipeline.finish() }
    }

    public func consume(_ chunk: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < chunk.count {
            let n = min(Pipeline.slotSize, chunk.count - offset)
            pipeline.push(UnsafeRawBufferPointer(rebasing: chunk[offset..<offset + n]))
            offset += n
        }
    }

    /// Waits for the hashing thread and returns the digest of everything consumed.
    public func finalize() -> Hash {
        if let result { return result }
        let hash = pipeline.finish()
        result = hash
        return hash
    }
}

/// Slots shared by the writer and the hashing thread: the writer copies a chunk into a free
/// slot, the thread drains filled slots in order; an empty chunk ends the stream.
private final class Pipeline: @unchecked Sendable {
    static let slotSize = 1 << 20
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

    init(_ hasher: Hasher, slotCount: Int = 4) {
        self.hasher = hasher
        slots = (0..<slotCount).map { _ in .allocate(byteCount: Pipeline.slotSize, alignment: 4096) }
        lengths = Array(repeating: 0, count: slotCount)
        for _ in 0..<slotCount { free.signal() }
    }

    deinit {
        for slot in slots { slot.deallocate() }
    }

    func push(_ chunk: UnsafeRawBufferPointer) {
        free.wait()
        if chunk.count > 0 { slots[next].copyMemory(from: chunk) }
        lengths[next] = chunk.count
        next = (next + 1) % slots.count
        filled.signal()
    }

    func finish() -> Hash {
        push(UnsafeRawBufferPointer(start: nil, count: 0))
        finished.wait()
        return result!
    }

    func drain() {
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
