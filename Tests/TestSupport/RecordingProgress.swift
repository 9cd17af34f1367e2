import DevenvFetch
import Foundation

/// Records what fetching and realizing report, one line
/// per event.
public final class RecordingProgress: FetchProgress, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    public init() {}

    public var events: [String] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }

    public func record(_ event: String) {
        lock.lock()
        storage.append(event)
        lock.unlock()
    }

    public func started(_ id: Int, url: String, total: UInt64?) { record("started \(url)") }
    public func advanced(_ id: Int, received: UInt64, total: UInt64?) {}
    public func finished(_ id: Int, url: String, received: UInt64, seconds: Double, error: String?) {
        record("finished \(url) \(received) \(error ?? "ok")")
    }
    public func retrying(_ id: Int, url: String, reason: String, delay: Double) { record("retrying \(url) \(reason)") }
}
