/// `typeOf` and the `isX` tests.
extension NixEvaluator {
    static var typePrimOps: [NixPrimOp] {
        func test(_ name: String, _ matches: @escaping (NixValue) -> Bool) -> NixPrimOp {
            NixPrimOp(name, arity: 1) { evaluator, arguments, _ in .bool(matches(try evaluator.force(arguments[0]))) }
        }
        return [
            NixPrimOp("typeOf", arity: 1) { evaluator, arguments, _ in
                .string(try evaluator.force(arguments[0]).typeName)
            },
            test("isNull") { if case .null = $0 { return true } else { return false } },
            test("isFunction") { $0.isFunction },
            test("isInt") { if case .int = $0 { return true } else { return false } },
            test("isFloat") { if case .float = $0 { return true } else { return false } },
            test("isString") { if case .string = $0 { return true } else { return false } },
            test("isBool") { if case .bool = $0 { return true } else { return false } },
            test("isPath") { if case .path = $0 { return true } else { return false } },
            test("isAttrs") { if case .attrs = $0 { return true } else { return false } },
            test("isList") { if case .list = $0 { return true } else { return false } },
        ]
    }
}
