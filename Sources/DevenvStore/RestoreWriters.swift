import DevenvBasics
import Foundation
import Glibc

/// Writes the regular files of a tree being restored on a few threads while the NAR is read on
/// another: creating files is most of what restoring costs, and file systems create them in
/// parallel. Contents wait in memory only up to a budget, so memory stays flat in the NAR size.
final class RestoreWriters: @unchecked Sendable {
    private struct Job {
        /// Relative to `root`.
        let path: [UInt8]
        /// Owned by the job; `count` bytes of it are the contents.
        let allocation: UnsafeMutableRawBufferPointer
        let count: Int
        let executable: Bool
        var contents: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: allocation[..<count]) }
    }

    private let root: Int32
    private let shared: SharedFiles?
    /// Whether the umask takes bits the store's modes keep (0444, 0555), which are then set again.
    private let fixModes: Bool
    private let budget: Int
    private let condition = NSCondition()
    /// Waiting jobs are `jobs[next...]`.
    private var jobs: [Job] = []
    private var next = 0
    /// Writers waiting for a job, and whether `write` waits for the budget: whom to wake, so that a
    /// new job wakes one writer and a finished one wakes nobody unless someone waits for it.
    private var idle = 0
    private var writeWaits = false
    /// Files read but not yet handed to the writers (by the reading thread only), handed over
    /// together: the lock is then taken once for many small files, not for each.
    private var batch: [Job] = []
    private var batchBytes = 0
    private static let batchFiles = 32
    private static let batchBytes = 256 << 10
    private var waiting = 0
    private var finished = false
    private var failure: (any Error)?
    private var threads = 0

    /// `root`: the directory fd the paths are relative to (kept open by the caller until `finish`).
    init(root: Int32, shared: SharedFiles?, umask: mode_t, threads: Int = 4, budget: Int = 16 << 20) {
        self.root = root
        self.shared = shared
        fixModes = umask & 0o555 != 0
        self.budget = budget
        for index in 0..<threads {
            self.threads += 1
            Thread.detachNewThread { [self] in work(index) }
        }
    }

    /// The largest file handed to the writers; larger ones are written as they are read.
    static let largest: UInt64 = 8 << 20

    /// Writes a file of `count` bytes, which `fill` puts into the buffer it is given, at `path`
    /// (relative to the root; its directory exists) with the store's mode and time, then shares
    /// it. Waits while the budget is spent; throws the first failure of any file.
    func write(
        _ path: [UInt8], count: Int, executable: Bool, fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws {
        let allocation = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, count), alignment: 16)
        do {
            try fill(UnsafeMutableRawBufferPointer(rebasing: allocation[..<count]))
        } catch {
            allocation.deallocate()
            throw error
        }
        batch.append(Job(path: path, allocation: allocation, count: count, executable: executable))
        batchBytes += count
        if batch.count >= RestoreWriters.batchFiles || batchBytes >= RestoreWriters.batchBytes { try handOver() }
    }

    /// Hands the batch to the writers once the budget has room for it.
    private func handOver() throws {
        condition.lock()
        defer { condition.unlock() }
        while waiting > 0 && waiting + batchBytes > budget && failure == nil {
            writeWaits = true
            condition.wait()
        }
        writeWaits = false
        if let failure { throw failure }
        waiting += batchBytes
        if next > 0 && next * 2 >= jobs.count {
            jobs.removeFirst(next)
            next = 0
        }
        jobs.append(contentsOf: batch)
        // Only writers wait here now: this thread is the one that calls `write` and `finish`.
        for _ in 0..<min(idle, batch.count) { condition.signal() }
        batch.removeAll(keepingCapacity: true)
        batchBytes = 0
    }

    /// Waits for every file; throws the first failure.
    func finish() throws {
        var failed: (any Error)?
        if !batch.isEmpty {
            do { try handOver() } catch { failed = error }
        }
        for job in batch { job.allocation.deallocate() }
        batch.removeAll()
        condition.lock()
        finished = true
        condition.broadcast()
        while threads > 0 { condition.wait() }
        failed = failed ?? failure
        for job in jobs[next...] { job.allocation.deallocate() }
        jobs.removeAll()
        next = 0
        waiting = 0
        condition.unlock()
        if let failed { throw failed }
    }

    private func work(_ index: Int) {
        // A name of its own for replacing a file by its shared copy, beside the tree (the root
        // is the directory the tree is made in), where no entry of the NAR can be.
        let temporary = Array(".devenv-shared-\(index)".utf8)
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
            var bytes = 0
            while next < jobs.count && next - first < RestoreWriters.batchFiles / 4
                && (next == first || bytes + jobs[next].count <= RestoreWriters.batchBytes / 4)
            {
                bytes += jobs[next].count
                next += 1
            }
            let taken = Array(jobs[first..<next])
            condition.unlock()
            var failed: (any Error)?
            for job in taken {
                if failed == nil {
                    do { try write(job, temporary: temporary) } catch { failed = error }
                }
                job.allocation.deallocate()
            }
            condition.lock()
            waiting -= bytes
            if failure == nil { failure = failed }
            if writeWaits || failed != nil { condition.broadcast() }
        }
    }

    private func write(_ job: Job, temporary: [UInt8]) throws {
        let display = job.path.displayString
        let fd = try SystemCall.retrying("cannot create file '\(display)'") {
            job.path.withCString {
                openat(root, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, job.executable ? 0o555 : 0o444)
            }
        }
        do {
            defer { close(fd) }
            try SystemCall.writeAll(fd, job.contents, "cannot write file '\(display)'")
            if fixModes {
                try SystemCall.retrying("cannot set the mode of '\(display)'") {
                    fchmod(fd, job.executable ? 0o555 : 0o444)
                }
            }
            futimens(fd, FileTree.canonicalTimes)
        }
        if let shared, job.count > 0 {
            try shared.share(
                job.path, in: root, hash: Hasher.hash(.sha256, job.contents), executable: job.executable,
                temporary: temporary)
        }
    }
}
