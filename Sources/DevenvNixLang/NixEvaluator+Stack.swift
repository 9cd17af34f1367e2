import Foundation

extension NixEvaluator {
    /// Native stack for evaluation: Nix code recurses as deep as its data (a function calling
    /// itself for each element of a long list), so it runs on a thread with a large stack, and
    /// `maximumDepth` turns what would still overflow it into an error.
    static let stackSize = 1 << 30

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

/// Only the thread touches it until it signals; then only the caller does.
private final class StackHandoff<T>: @unchecked Sendable {
    let body: () throws -> T
    var result: Result<T, Error>?
    let done = DispatchSemaphore(value: 0)
    init(_ body: @escaping () throws -> T) { self.body = body }
}
