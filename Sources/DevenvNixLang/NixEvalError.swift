/// An evaluation error, with where it happened and what was being evaluated around it (the trace,
/// innermost first). `throw` and failed assertions are the kinds `builtins.tryEval` catches.
public struct NixEvalError: Error, CustomStringConvertible {
    public enum Kind: Sendable {
        case thrown, assertion, abort, other
    }

    public let kind: Kind
    public let message: String
    public internal(set) var position: NixPosition?
    /// The trace's steps, each with how many times it came again right after itself (the frames of
    /// a recursive function): at most `maximumSteps` distinct steps, however deep.
    private var steps: [(step: String, repeats: Int)] = []
    static let maximumSteps = 64

    /// The trace, innermost first, a step repeated consecutively written once and followed by
    /// "(… N more like the line above)".
    public var trace: [String] {
        steps.flatMap { entry in
            entry.repeats == 0 ? [entry.step] : [entry.step, "(… \(entry.repeats) more like the line above)"]
        }
    }

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
        if let last = copy.steps.indices.last, copy.steps[last].step == step {
            copy.steps[last].repeats += 1
        } else if copy.steps.count < NixEvalError.maximumSteps {
            copy.steps.append((step, 0))
        }
        return copy
    }

    func located(_ position: NixPosition?) -> NixEvalError {
        guard self.position == nil, let position else { return self }
        var copy = self
        copy.position = position
        return copy
    }
}
