import Foundation

@testable import DevenvNixLang

/// Evaluates `source` completely, on the evaluator's large stack, and prints the value as
/// `nix-instantiate --eval --strict` does. Positions name the source `(string)`, as Nix's do.
func evaluateNix(_ source: String) throws -> String {
    let evaluator = try NixEvaluator()
    return try NixEvaluator.onLargeStack {
        let value = try evaluator.evaluate(try evaluator.parse(Array(source.utf8), file: "(string)", basePath: "/tmp"))
        try evaluator.forceDeep(value)
        return NixPrinter.print(value)
    }
}

/// The error that evaluating `source` completely ends with, or nil when it has a value.
func nixFailure(_ source: String) -> String? {
    do {
        _ = try evaluateNix(source)
        return nil
    } catch {
        return "\(error)"
    }
}
