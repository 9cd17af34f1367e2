import DevenvBasics
import Foundation
import Glibc

/// Writes the regular files of a tree being restored on a few threads while the NAR is read on
/// another: creating files is most of what restoring costs, and file systems create them in
/// parallel. Contents wait in a ring of fixed size, so memory stays flat in the NAR size, and it
/// is the same memory again and again (fresh allocations are pages the kernel must fault in and
/// clear, which cost as much as a tenth of a substitution).
final class RestoreWriters: @unchecked Sendable {
    private struct Job {
        /// Relative to `root`.
        let path: [UInt8]
        /// Where its contents are in the ring: positions that only grow, taken modulo its size.
        let start: Int
        let end: Int
        let executable: Bool
        /// Whether a writer has written it.
        var done = false
        /// For a piece of a large file: the file, and where in it the piece goes.
        var file: LargeFile? = nil
        var position = 0
    }

    /// A file too large for the ring, made by the reader and written in pieces by the writers;
    /// the one that writes its last piece gives it its mode and time.
    private final class LargeFile {
        let fd: Int32
        /// Pieces not written yet (under the lock).
        var remaining: Int

        init(fd: Int32, pieces: Int) {
            self.fd = fd
            remaining = pieces
        }

        deinit { close(fd) }
    }

    private let root: Int32
    /// Whether the umask takes bits the store's modes keep (0444, 0555), which are then set again.
    private let fixModes: Bool
    private let ring: UnsafeMutableRawBufferPointer
    private let condition = NSCondition()
    /// In the order made: `jobs[..<written]` are written (until dropped from the front),
    /// `jobs[next...]` wait for a writer, and those between are being written or `done`.
    private var jobs: [Job] = []
    private var written = 0
    private var next = 0
    /// How many written jobs were dropped from the front of `jobs` so far.
    private var dropped = 0
    /// Where the ring's oldest contents not yet written start, and where the last job handed
    /// over ends (the tail once all are written).
    private var tail = 0
    private var handedEnd = 0
    /// Where the reader puts the next contents, and the tail when it last looked (the reading
    /// thread only: it takes the lock for the tail only when handing over or short of room).
    private var head = 0
    private var knownTail = 0
    /// Writers waiting for a job, and whether `write` waits for room: whom to wake, so that a new
    /// job wakes one writer and a finished one wakes nobody unless someone waits for it.
    private var idle = 0
    private var writeWaits = false
    /// Files read but not yet handed to the writers (by the reading thread only), handed over
    /// together: the lock is then taken once for many small files, not for each.
    private var batch: [Job] = []
    private var batchBytes = 0
    private static let batchFiles = 32
    private static let batchBytes = 256 << 10
    private var finished = false
    private var failure: (any Error)?
    private var threads = 0

    /// `root`: the directory fd the paths are relative to (kept open by the caller until `finish`).
    init(root: Int32, umask: mode_t, threads: Int = 4) {
        self.root = root
        fixModes = umask & 0o555 != 0
        ring = BufferPool.shared.take(RestoreWriters.ringSize)
        for _ in 0..<threads {
            self.threads += 1
            Thread.detachNewThread { [self] in work() }
        }
    }

    deinit { BufferPool.shared.give(ring) }

    /// Small enough that what the reader copied in is still in the processor's cache when a
    /// writer copies it out (with 16 MiB, substituting took 15% longer).
    private static let ringSize = 4 << 20

    /// The largest file handed to the writers whole; larger ones go in pieces.
    static let largest: UInt64 = UInt64(ringSize / 2)

    /// Writes a file of `count` bytes (at most `largest`), which `fill` puts into the buffer it is
    /// given, at `path` (relative to the root; its directory exists) with the store's mode and
    /// time. Waits while the ring is full; throws the first failure of any file.
    func write(
        _ path: [UInt8], count: Int, executable: Bool, fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws {
        try enqueue(path, count: count, executable: executable, fill: fill)
    }

    /// The same for a file of any size, in pieces: `fill` is called for each, in order.
    func write(
        _ path: [UInt8], largeCount count: Int, executable: Bool, fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws {
        let fd = try create(path, executable: executable)
        // Not rounded up by adding: a NAR may say its file is nearly `Int.max` bytes long (it is then
        // cut short, an error, long before).
        let file = LargeFile(fd: fd, pieces: count / RestoreWriters.piece + (count % RestoreWriters.piece == 0 ? 0 : 1))
        var position = 0
        while position < count {
            let n = min(RestoreWriters.piece, count - position)
            try enqueue(path, count: n, executable: executable, file: file, position: position, fill: fill)
            position += n
        }
    }

    private static let piece = 1 << 20

    private func enqueue(
        _ path: [UInt8], count: Int, executable: Bool, file: LargeFile? = nil, position: Int = 0,
        fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws {
        var start = head
        // Contents are contiguous: what would wrap starts at the ring's beginning instead.
        if start % ring.count + count > ring.count { start += ring.count - start % ring.count }
        let end = start + count
        if end - knownTail > ring.count { try waitForRoom(until: end) }
        head = end
        let offset = start % ring.count
        try fill(UnsafeMutableRawBufferPointer(rebasing: ring[offset..<offset + count]))
        batch.append(Job(path: path, start: start, end: end, executable: executable, file: file, position: position))
        batchBytes += count
        if batch.count >= RestoreWriters.batchFiles || batchBytes >= RestoreWriters.batchBytes { try handOver() }
    }

    /// Waits until the ring holds nothing before `end - ring.count` that is not written yet,
    /// handing over the batch first (the writers may be waiting for it).
    private func waitForRoom(until end: Int) throws {
        try handOver()
        condition.lock()
        defer { condition.unlock() }
        while end - tail > ring.count && failure == nil {
            writeWaits = true
            condition.wait()
        }
        writeWaits = false
        knownTail = tail
        if let failure { throw failure }
    }

    /// Hands the batch to the writers.
    private func handOver() throws {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        knownTail = tail
        guard let last = batch.last else { return }
        if written > 0 && written * 2 >= jobs.count {
            jobs.removeFirst(written)
            next -= written
            dropped += written
            written = 0
        }
        handedEnd = last.end
        jobs.append(contentsOf: batch)
        // Only writers wait here now: this thread is the one that calls `write` and `finish`.
        for _ in 0..<min(idle, batch.count) { condition.signal() }
        batch.removeAll(keepingCapacity: true)
        batchBytes = 0
    }

    /// Waits for every file; throws the first failure.
    func finish() throws {
        var failed: (any Error)?
        do { try handOver() } catch { failed = error }
        batch.removeAll()
        condition.lock()
        finished = true
        condition.broadcast()
        while threads > 0 { condition.wait() }
        failed = failed ?? failure
        jobs.removeAll()
        written = 0
        next = 0
        condition.unlock()
        if let failed { throw failed }
    }

    private func work() {
        condition.lock()
        while true {
            while next == jobs.count && !finished {
                idle += 1
                condition.wait()
                idle -= 1
            }
            guard failure == nil, next < jobs.count else {
                threads -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            // A few files at a time, so that the lock is not taken for each.
            let first = next
            let takenAt = dropped
            var bytes = 0
            while next < jobs.count && next - first < RestoreWriters.batchFiles / 4
                && (next == first || bytes + jobs[next].end - jobs[next].start <= RestoreWriters.batchBytes / 4)
            {
                bytes += jobs[next].end - jobs[next].start
                next += 1
            }
            let taken = Array(jobs[first..<next])
            condition.unlock()
            var failed: (any Error)?
            for job in taken where failed == nil {
                do { try write(job) } catch { failed = error }
            }
            condition.lock()
            // Where they are now: `handOver` may have dropped written jobs from the front since.
            let now = first + takenAt - dropped
            for index in now..<now + taken.count { jobs[index].done = true }
            for job in taken where failed == nil {
                guard let file = job.file else { continue }
                file.remaining -= 1
                if file.remaining == 0 {
                    do { try finishFile(file.fd, job) } catch { failed = error }
                }
            }
            let before = tail
            while written < next && jobs[written].done { written += 1 }
            tail = written < jobs.count ? jobs[written].start : handedEnd
            if failure == nil { failure = failed }
            if (writeWaits && tail != before) || failed != nil { condition.broadcast() }
        }
    }

    private func write(_ job: Job) throws {
        let offset = job.start % ring.count
        let contents = UnsafeRawBufferPointer(rebasing: ring[offset..<offset + job.end - job.start])
        if let file = job.file {
            try SystemCall.writeAll(
                file.fd, contents, at: job.position, "cannot write file '\(job.path.displayString)'")
            return
        }
        let fd = try create(job.path, executable: job.executable)
        defer { close(fd) }
        try SystemCall.writeAll(fd, contents, "cannot write file '\(job.path.displayString)'")
        try finishFile(fd, job)
    }

    private func create(_ path: [UInt8], executable: Bool) throws -> Int32 {
        try SystemCall.retrying("cannot create file '\(path.displayString)'") {
            path.withCString {
                openat(root, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, executable ? 0o555 : 0o444)
            }
        }
    }

    /// Gives a written file the store's mode (again, when the umask took from it) and time.
    private func finishFile(_ fd: Int32, _ job: Job) throws {
        if fixModes {
            try SystemCall.retrying("cannot set the mode of '\(job.path.displayString)'") {
                fchmod(fd, job.executable ? 0o555 : 0o444)
            }
        }
        futimens(fd, FileTree.canonicalTimes)
    }
}
