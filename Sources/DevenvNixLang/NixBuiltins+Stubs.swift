extension NixEvaluator {
    static var typePrimOps: [NixPrimOp] { [] }
    static var arithmeticPrimOps: [NixPrimOp] { [] }
    static var stringPrimOps: [NixPrimOp] { [] }
    static var listPrimOps: [NixPrimOp] { [] }
    static var attrsPrimOps: [NixPrimOp] { [] }
    static var controlPrimOps: [NixPrimOp] { [] }
    static var filePrimOps: [NixPrimOp] { [] }
}
