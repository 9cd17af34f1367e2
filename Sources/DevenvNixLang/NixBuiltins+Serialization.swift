extension NixEvaluator {
    static var serializationPrimOps: [NixPrimOp] { [] }
}
