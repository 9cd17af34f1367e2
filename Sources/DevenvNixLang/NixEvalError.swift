/// An evaluation error, with where it happened and what was being evaluated around it (the trace,
/// innermost first). `throw` and failed assertions are the kinds `builtins.tryEval` catches.
public struct NixEvalError: Error, CustomStringConvertible {
    public enum Kind: Sendable {
        case thrown, assertion, abort, other
    }

    public let kind: Kind
    public let message: String
    public internal(set) var position: NixPosition?
    public internal(set) var trace: [String] = []

    init(_ message: String, at position: NixPosition? = nil, kind: Kind = .other) {
        self.kind = kind
        self.message = message
        self.position = position
    }

    var catchable: Bool { kind == .thrown || kind == .assertion }

    /// The error, then each step of the trace, one per line, with positions as `FILE:LINE:COLUMN`.
    public var description: String {
        var lines = [(position.map { "\($0): " } ?? "") + message]
        lines += trace
        return lines.joined(separator: "\n")
    }

    func adding(_ step: String) -> NixEvalError {
        var copy = self
        if copy.trace.count < 64 { copy.trace.append(step) }
        return copy
    }

    func located(_ position: NixPosition?) -> NixEvalError {
        guard self.position == nil, let position else { return self }
        var copy = self
        copy.position = position
        return copy
    }
}
