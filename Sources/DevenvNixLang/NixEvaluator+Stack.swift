import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension NixEvaluator {
    /// Native stack for evaluation: Nix code recurses as deep as its data (a function calling
    /// itself for each element of a long list), so it runs on a thread with a large stack, and
    /// each call checks that at least `stackReserve` of it is left, which turns what would still
    /// overflow it into an error. A level of a simple recursive function takes 0.67 to 1.18 KiB of
    /// it (see docs/benchmarks.md), so the 1 GiB stack holds 0.86 to 1.5 million.
    static let stackSize = 1 << 30

    /// Room kept free below the deepest call: what a built-in or a chain of thunks may still use.
    /// An eighth of the stack, between 256 KiB and 32 MiB.
    static func stackReserve(of size: Int) -> Int { min(32 << 20, max(256 << 10, size / 8)) }

    /// Notes where the running thread's stack ends, once a thread (the next call's checks use it).
    func noteStack() {
        let thread = pthread_self()
        if let stackThread, pthread_equal(stackThread, thread) != 0 { return }
        stackThread = thread
        #if os(Linux)
            let attributes = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
            defer { attributes.deallocate() }
            var low: UnsafeMutableRawPointer?
            var size = 0
            guard nix_pthread_getattr_np(thread, attributes) == 0 else {
                stackLimit = 0
                return
            }
            pthread_attr_getstack(attributes, &low, &size)
            pthread_attr_destroy(attributes)
            stackLimit = UInt(bitPattern: low) + UInt(NixEvaluator.stackReserve(of: size))
        #else
            let high = UInt(bitPattern: pthread_get_stackaddr_np(thread))
            let size = pthread_get_stacksize_np(thread)
            stackLimit = high - UInt(size) + UInt(NixEvaluator.stackReserve(of: size))
        #endif
    }

    /// Runs `body` on a thread with `stackSize` bytes of stack, and waits for it.
    public static func onLargeStack<T>(_ body: @escaping () throws -> T) throws -> T {
        let handoff = StackHandoff(body)
        let thread = Thread {
            handoff.result = Result { try handoff.body() }
            handoff.done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        handoff.done.wait()
        return try handoff.result!.get()
    }
}

#if os(Linux)
    /// glibc's and musl's `pthread_getattr_np`, which their Swift modules leave out (it is a GNU
    /// extension): the running thread's stack, also for the main thread.
    @_silgen_name("pthread_getattr_np")
    private func nix_pthread_getattr_np(_ thread: pthread_t, _ attributes: UnsafeMutablePointer<pthread_attr_t>)
        -> Int32
#endif

/// Only the thread touches it until it signals; then only the caller does.
private final class StackHandoff<T>: @unchecked Sendable {
    let body: () throws -> T
    var result: Result<T, Error>?
    let done = DispatchSemaphore(value: 0)
    init(_ body: @escaping () throws -> T) { self.body = body }
}
