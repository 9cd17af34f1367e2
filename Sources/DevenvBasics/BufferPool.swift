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
        } ?? BufferPool.allocate(size)
    }

    /// A buffer of 2 MiB or more is mapped on its own, and made of the kernel's huge pages (2 MiB
    /// each) where it allows them (transparent huge pages, `madvise` mode by default): the first
    /// touch of a 4 MiB buffer is then 2 page faults instead of 1,024. Substituting go_1_24 took
    /// 3,000 faults instead of 7,200, python313's closure 9,700 instead of 12,400. (From malloc,
    /// such a buffer could be memory touched before, which stays in small pages.)
    private static func allocate(_ size: Int) -> UnsafeMutableRawBufferPointer {
        let length = mappedLength(size)
        guard length > 0,
            let mapped = mmap(nil, length + hugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapped != MAP_FAILED
        else { return .allocate(byteCount: size, alignment: 4096) }
        // Aligned to a huge page: the unaligned head and the tail after it are given back.
        let head = (hugePage - Int(bitPattern: mapped) % hugePage) % hugePage
        let start = mapped + head
        if head > 0 { munmap(mapped, head) }
        munmap(start + length, hugePage - head)
        _ = madvise(start, length, MADV_HUGEPAGE)
        return UnsafeMutableRawBufferPointer(start: start, count: size)
    }

    /// Frees a buffer `allocate` made.
    private static func free(_ buffer: UnsafeMutableRawBufferPointer) {
        let length = mappedLength(buffer.count)
        if length > 0 { munmap(buffer.baseAddress, length) } else { buffer.deallocate() }
    }

    /// The whole huge pages a buffer of `size` is mapped in; 0 below one, which malloc gives.
    private static func mappedLength(_ size: Int) -> Int {
        size < hugePage ? 0 : (size + hugePage - 1) / hugePage * hugePage
    }

    private static let hugePage = 2 << 20

    /// Gives back a buffer `take` gave.
    public func give(_ buffer: UnsafeMutableRawBufferPointer) {
        let kept = lock.withLock {
            guard idleBytes + buffer.count <= limit else { return false }
            idle[buffer.count, default: []].append(buffer)
            idleBytes += buffer.count
            return true
        }
        if !kept { BufferPool.free(buffer) }
    }
}
