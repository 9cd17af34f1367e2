/// A buffer from `BufferPool.shared` that goes back to it once nothing holds it: a piece of work
/// handed between threads (a zstd frame, what it decompresses to) is freed wherever it is dropped,
/// also when the work is abandoned half-way.
public final class PooledBuffer: @unchecked Sendable {
    public let bytes: UnsafeMutableRawBufferPointer
    /// How many of `bytes`, from the start, hold something.
    public var count = 0

    /// A buffer of at least `capacity` bytes: sizes are rounded up to a MiB, so buffers of
    /// nearly the same size are used again.
    public init(capacity: Int) {
        bytes = BufferPool.shared.take(max(1, (capacity + (1 << 20) - 1) >> 20) << 20)
    }

    /// Calls `body` with the bytes that hold something. A pointer into the buffer must not be
    /// used outside such a call: the buffer goes back to the pool, and may be another thread's,
    /// as soon as this value is no longer used, which can be before a statement that took the
    /// pointer ends (`cache push` wrote frames from buffers other NARs were compressed into).
    public func withFilled<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: bytes[..<count]))
    }

    deinit { BufferPool.shared.give(bytes) }
}
