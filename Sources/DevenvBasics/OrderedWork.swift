import Foundation

/// Jobs run side by side on threads of their own, their results taken in the order the jobs were
/// added: a stream cut into independent pieces (zstd frames) is worked on in parallel and read
/// back in sequence. At most `depth` results are added and not yet taken, so the memory it holds
/// stays bounded whatever the stream's length.
public final class OrderedWork: @unchecked Sendable {
    public typealias Job = () throws -> PooledBuffer
    private let condition = NSCondition()
    private let depth: Int
    private var jobs: [(index: Int, job: Job)] = []
    private var results: [Int: Result<PooledBuffer, any Error>] = [:]
    private var added = 0
    private var taken = 0
    private var closed = false
    private var cancelled = false

    /// The threads run until `close` or `cancel`.
    public init(threads: Int, depth: Int) {
        self.depth = depth
        for _ in 0..<threads { Thread.detachNewThread { [self] in work() } }
    }

    /// Whether `add` would wait for a result to be taken.
    public var isFull: Bool { condition.withLock { added - taken >= depth } }

    /// Whether `cancel` was called: whoever adds stops.
    public var isCancelled: Bool { condition.withLock { cancelled } }

    /// Adds `job`, once there is room.
    public func add(_ job: @escaping Job) { add { $0.jobs.append(($0.added, job)) } }

    /// Adds what is already done (or has failed), once there is room.
    public func add(done: Result<PooledBuffer, any Error>) { add { $0.results[$0.added] = done } }

    private func add(_ enqueue: (OrderedWork) -> Void) {
        condition.lock()
        defer { condition.unlock() }
        while added - taken >= depth && !cancelled { condition.wait() }
        guard !cancelled, !closed else { return }
        enqueue(self)
        added += 1
        condition.broadcast()
    }

    /// No more jobs: once they are done and taken, `next` gives nil and the threads end.
    public func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }

    /// Stops: jobs not started are dropped, and so are results not taken.
    public func cancel() {
        condition.withLock {
            cancelled = true
            jobs.removeAll()
            results.removeAll()
            condition.broadcast()
        }
    }

    /// The result of the oldest job not taken, once it is done; nil once closed and all are taken.
    /// A job's failure is thrown in its turn.
    public func next() throws -> PooledBuffer? {
        condition.lock()
        defer { condition.unlock() }
        while results[taken] == nil && !(closed && taken == added) && !cancelled { condition.wait() }
        guard let result = results.removeValue(forKey: taken) else { return nil }
        taken += 1
        condition.broadcast()
        return try result.get()
    }

    private func work() {
        condition.lock()
        while true {
            while jobs.isEmpty && !closed && !cancelled { condition.wait() }
            guard !jobs.isEmpty else { break }
            let (index, job) = jobs.removeFirst()
            condition.unlock()
            let result = Result { try job() }
            condition.lock()
            if !cancelled { results[index] = result }
            condition.broadcast()
        }
        condition.unlock()
    }
}
