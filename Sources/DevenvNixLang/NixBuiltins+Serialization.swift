/// Values to and from JSON, XML and TOML.
extension NixEvaluator {
    static var serializationPrimOps: [NixPrimOp] {
        [
            NixPrimOp("toJSON", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let text = try evaluator.json(arguments[0], context: &context, at: position)
                return .string(NixString(text, context: context))
            },
            NixPrimOp("fromJSON", arity: 1) { evaluator, arguments, position in
                let text = try evaluator.plainString(arguments[0], at: position)
                do {
                    return try NixJSONParser.parse(text)
                } catch let error as NixEvalError {
                    throw error.located(position).adding("while decoding a JSON string")
                }
            },
            NixPrimOp("toXML", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let text = try evaluator.xml(arguments[0], context: &context, at: position)
                return .string(NixString(text, context: context))
            },
            NixPrimOp("fromTOML", arity: 1) { evaluator, arguments, position in
                try NixTOML.parse(try evaluator.plainString(arguments[0], at: position), at: position)
            },
        ]
    }
}
