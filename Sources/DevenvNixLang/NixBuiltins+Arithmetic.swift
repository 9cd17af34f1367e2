import Foundation

/// Arithmetic, bitwise operations and `<` (which the parser makes of `<`, `<=`, `>`, `>=`).
/// Integers wrap on overflow, as Nix 2.8's do.
extension NixEvaluator {
    static var arithmeticPrimOps: [NixPrimOp] {
        func arithmetic(
            _ name: String, _ integers: @escaping (Int, Int) throws -> Int,
            _ floats: @escaping (Double, Double) -> Double
        ) -> NixPrimOp {
            NixPrimOp(name, arity: 2) { evaluator, arguments, position in
                switch (
                    try evaluator.number(arguments[0], at: position), try evaluator.number(arguments[1], at: position)
                ) {
                case (.int(let a), .int(let b)): return .int(try integers(a, b))
                case (.int(let a), .float(let b)): return .float(floats(Double(a), b))
                case (.float(let a), .int(let b)): return .float(floats(a, Double(b)))
                case (.float(let a), .float(let b)): return .float(floats(a, b))
                default: fatalError("number() returns numbers")
                }
            }
        }
        func bitwise(_ name: String, _ operation: @escaping (Int, Int) -> Int) -> NixPrimOp {
            NixPrimOp(name, arity: 2) { evaluator, arguments, position in
                .int(
                    operation(
                        try evaluator.int(arguments[0], at: position), try evaluator.int(arguments[1], at: position)))
            }
        }
        func rounding(_ name: String, _ round: @escaping (Double) -> Double) -> NixPrimOp {
            NixPrimOp(name, arity: 1) { evaluator, arguments, position in
                switch try evaluator.number(arguments[0], at: position) {
                case .int(let value): return .int(value)
                case .float(let value):
                    let rounded = round(value)
                    guard rounded.isFinite, abs(rounded) < 9.2e18 else { return .int(Int.min) }
                    return .int(Int(rounded))
                default: fatalError("number() returns numbers")
                }
            }
        }
        return [
            arithmetic("add", { $0 &+ $1 }, +),
            arithmetic("sub", { $0 &- $1 }, -),
            arithmetic("mul", { $0 &* $1 }, *),
            NixPrimOp("div", arity: 2) { evaluator, arguments, position in
                let a = try evaluator.number(arguments[0], at: position)
                let b = try evaluator.number(arguments[1], at: position)
                switch (a, b) {
                case (_, .int(0)), (_, .float(0)): throw NixEvalError("division by zero", at: position)
                case (.int(let x), .int(let y)):
                    guard !(x == Int.min && y == -1) else {
                        throw NixEvalError("overflow in integer division", at: position)
                    }
                    return .int(x / y)
                case (.int(let x), .float(let y)): return .float(Double(x) / y)
                case (.float(let x), .int(let y)): return .float(x / Double(y))
                case (.float(let x), .float(let y)): return .float(x / y)
                default: fatalError("number() returns numbers")
                }
            },
            bitwise("bitAnd", &),
            bitwise("bitOr", |),
            bitwise("bitXor", ^),
            rounding("ceil", Foundation.ceil),
            rounding("floor", Foundation.floor),
            NixPrimOp("lessThan", arity: 2) { evaluator, arguments, position in
                .bool(try evaluator.lessThan(arguments[0], arguments[1], at: position))
            },
        ]
    }
}
