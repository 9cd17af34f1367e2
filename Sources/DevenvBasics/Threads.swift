import Foundation

/// Blocking work (downloads, creating files) spread over threads of its own: unlike
/// `DispatchQueue.concurrentPerform`, which runs no more at once than there are cores.
public enum Threads {
    /// Runs `body` on `count` threads, this one among them, each given its number (0 here);
    /// returns once all are done.
    public static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        let group = DispatchGroup()
        for thread in 1..<count {
            group.enter()
            Thread.detachNewThread {
                body(thread)
                group.leave()
            }
        }
        body(0)
        group.wait()
    }

    /// `transform` of each of `items`, on up to `count` threads (this one among them), in order;
    /// the first failure (in the order given) is thrown once all have ended.
    public static func map<T: Sendable, R>(
        _ items: [T], threads count: Int, _ transform: @escaping @Sendable (T) throws -> R
    ) throws -> [R] {
        let results = IndexedResults<R>(count: items.count)
        let threads = min(items.count, count)
        run(threads) { thread in
            for index in stride(from: thread, to: items.count, by: threads) {
                results.set(index, Result { try transform(items[index]) })
            }
        }
        return try results.values.map { try $0!.get() }
    }
}
