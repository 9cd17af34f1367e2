import Foundation

extension URLFetcher {
    private static let loading = LibraryLoad()

    /// Starts loading libcurl on a thread of its own, once. Loading it and the thirty libraries it
    /// needs takes 6 to 9 ms, which a substitution otherwise spends after reading the project and
    /// opening the store, before its first request; begun at the start, it runs beside them.
    public static func loadLibraryAhead() { loading.start() }

    /// Returns once a load `loadLibraryAhead` began is over: the process must not exit before, or
    /// glibc would run the libraries' finalizers while their initializers still run.
    public static func awaitLibrary() { loading.wait() }
}

private final class LibraryLoad: @unchecked Sendable {
    private let condition = NSCondition()
    private var started = false
    private var done = false

    func start() {
        let first = condition.withLock {
            defer { started = true }
            return !started
        }
        guard first else { return }
        Thread.detachNewThread { [self] in
            _ = HTTPTransfer.initialized
            condition.withLock {
                done = true
                condition.broadcast()
            }
        }
    }

    func wait() {
        condition.withLock {
            while started && !done { condition.wait() }
        }
    }
}
