import Foundation

/// Page-aligned buffers kept once freed, for the next that needs one of the same size: unpacking
/// a NAR takes a few MiB of buffers, and a closure's NARs come one after another on several
/// threads. Freed for real, every buffer costs a page fault per 4 KiB the next NAR touches again;
/// kept, they are touched once. What is kept is bounded: what was in use at once, up to `limit`.
public final class BufferPool: @unchecked Sendable {
    /// The NAR reader's, its read-ahead's and its writers'.
    public static let shared = BufferPool(limit: 64 << 20)

    private let lock = NSLock()
    private var idle: [Int: [UnsafeMutableRawBufferPointer]] = [:]
    private(set) var idleBytes = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// A buffer of `size` bytes, whose contents are undefined.
    public func take(_ size: Int) -> UnsafeMutableRawBufferPointer {
        lock.withLock {
            guard let buffer = idle[size]?.popLast() else { return nil }
            idleBytes -= size
            return buffer
        } ?? .allocate(byteCount: size, alignment: 4096)
    }

    /// Gives back a buffer `take` gave.
    public func give(_ buffer: UnsafeMutableRawBufferPointer) {
        let kept = lock.withLock {
            guard idleBytes + buffer.count <= limit else { return false }
            idle[buffer.count, default: []].append(buffer)
            idleBytes += buffer.count
            return true
        }
        if !kept { buffer.deallocate() }
    }
}
