import Foundation

/// The errors of work on several threads, the first one kept.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []

    var any: Bool { lock.withLock { !errors.isEmpty } }
    var first: (any Error)? { lock.withLock { errors.first } }

    func record(_ error: any Error) { lock.withLock { errors.append(error) } }
}
