import Foundation

/// Reads a source on a thread of its own, a few buffers ahead of whoever reads from it: a source
/// that costs time to produce (decompression) and a reader that costs time to consume (parsing a
/// NAR, handing files to writers) then run side by side instead of in turn.
public final class ReadAhead {
    private let slots: Slots
    private var current = UnsafeRawBufferPointer(start: nil, count: 0)

    /// `source` fills the buffer it is given and says how many bytes it put there, 0 at the end;
    /// it is called on the read-ahead thread only.
    public init(
        slotSize: Int = 1 << 20, slotCount: Int = 4,
        _ source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int
    ) {
        slots = Slots(size: slotSize, count: slotCount, source: source)
        Thread.detachNewThread { [slots] in slots.fill() }
    }

    /// A reader that stops early (on an error of its own) stops the thread too.
    deinit { slots.cancel() }

    /// Fills `buffer` with the next bytes; how many, 0 at the end. A failure of the source is
    /// thrown once the bytes it produced before failing have been read.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if current.isEmpty {
            guard let next = try slots.next() else { return 0 }
            current = next
        }
        let n = min(current.count, buffer.count)
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: current[..<n]))
        current = UnsafeRawBufferPointer(rebasing: current[n...])
        if current.isEmpty { slots.release() }
        return n
    }
}

/// The buffers shared by the read-ahead thread, which fills them in turn, and the reader, which
/// empties them in the same order.
private final class Slots: @unchecked Sendable {
    private let buffers: [UnsafeMutableRawBufferPointer]
    private var lengths: [Int]
    private let condition = NSCondition()
    private var filled = 0
    private var first = 0
    private var ended = false
    private var failure: (any Error)?
    private var cancelled = false
    /// Called by the read-ahead thread only.
    private let source: (UnsafeMutableRawBufferPointer) throws -> Int

    init(size: Int, count: Int, source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        buffers = (0..<count).map { _ in BufferPool.shared.take(size) }
        lengths = Array(repeating: 0, count: count)
        self.source = source
    }

    deinit { for buffer in buffers { BufferPool.shared.give(buffer) } }

    func fill() {
        var index = 0
        while true {
            condition.lock()
            while filled == buffers.count && !cancelled { condition.wait() }
            let stop = cancelled
            condition.unlock()
            if stop { return }
            let n: Int
            do {
                n = try source(buffers[index])
            } catch {
                finish(failure: error)
                return
            }
            if n == 0 {
                finish(failure: nil)
                return
            }
            condition.lock()
            lengths[index] = n
            filled += 1
            condition.broadcast()
            condition.unlock()
            index = (index + 1) % buffers.count
        }
    }

    private func finish(failure: (any Error)?) {
        condition.lock()
        ended = true
        self.failure = failure
        condition.broadcast()
        condition.unlock()
    }

    /// The oldest filled buffer (the reader's until `release`), nil at the end.
    func next() throws -> UnsafeRawBufferPointer? {
        condition.lock()
        defer { condition.unlock() }
        while filled == 0 && !ended { condition.wait() }
        guard filled > 0 else {
            if let failure { throw failure }
            return nil
        }
        return UnsafeRawBufferPointer(rebasing: buffers[first][..<lengths[first]])
    }

    /// Gives the buffer `next` returned back to the read-ahead thread.
    func release() {
        condition.lock()
        first = (first + 1) % buffers.count
        filled -= 1
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
