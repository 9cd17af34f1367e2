import Foundation

/// Results written by worker threads, each into its own index.
public final class IndexedResults<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<Value, any Error>?]

    public init(count: Int) { storage = Array(repeating: nil, count: count) }

    public func set(_ index: Int, _ result: Result<Value, any Error>) {
        lock.lock()
        storage[index] = result
        lock.unlock()
    }

    public var values: [Result<Value, any Error>?] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
