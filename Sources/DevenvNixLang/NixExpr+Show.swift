/// An expression as `nix-instantiate --parse` prints it (Nix 2.8's `Expr::show`): fully
/// parenthesized, with the parser's desugaring visible.
extension NixExpr: CustomStringConvertible {
    public var description: String {
        var output = ""
        show(into: &output)
        return output
    }

    private func show(into output: inout String) {
        switch self {
        case .int(let value): output += String(value)
        case .float(let value): output += NixPrinter.format(value)
        case .string(let text): output += NixExpr.showString(text.text)
        case .path(let path): output += path.text
        case .variable(let variable): output += variable.name
        case .local(let local): output += local.name
        case .withVariable(let variable): output += variable.name
        case .select(let select):
            output += "(\(select.target))." + NixExpr.showPath(select.path)
            if let orDefault = select.orDefault { output += " or (\(orDefault))" }
        case .hasAttr(let hasAttr): output += "((\(hasAttr.target)) ? \(NixExpr.showPath(hasAttr.path)))"
        case .attrs(let attrs):
            if attrs.recursive { output += "rec " }
            output += "{ "
            for (name, definition) in zip(attrs.names, attrs.definitions).sorted(by: { NixAttrs.precedes($0.0, $1.0) })
            {
                output +=
                    definition.inherited ? "inherit \(name) ; " : "\(NixPrinter.name(name)) = \(definition.value); "
            }
            for dynamic in attrs.dynamic { output += "\"${\(dynamic.name)}\" = \(dynamic.value); " }
            output += "}"
        case .list(let list):
            output += "[ " + list.elements.map { "(\($0)) " }.joined() + "]"
        case .lambda(let lambda):
            output += "("
            if let formals = lambda.formals {
                var parts = formals.map { formal in formal.name + (formal.defaultValue.map { " ? \($0)" } ?? "") }
                if lambda.ellipsis { parts.append("...") }
                output += "{ " + parts.joined(separator: ", ") + " }"
                if lambda.argument != nil { output += " @ " }
            }
            output += (lambda.argument ?? "") + ": \(lambda.body))"
        case .call(let call):
            output += "(\(call.function)" + call.arguments.map { " \($0)" }.joined() + ")"
        case .let(let node):
            output += "(let "
            for (name, definition) in zip(node.bindings.names, node.bindings.definitions) {
                output +=
                    definition.inherited ? "inherit \(name); " : "\(NixPrinter.name(name)) = \(definition.value); "
            }
            output += "in \(node.body))"
        case .with(let with): output += "(with \(with.attrs); \(with.body))"
        case .if(let node):
            output += "(if \(node.condition) then \(node.then) else \(node.otherwise))"
        case .assert(let node): output += "assert \(node.condition); \(node.body)"
        case .not(let node): output += "(! \(node.operand))"
        case .binary(let node): output += "(\(node.left) \(node.op.rawValue) \(node.right))"
        case .concatStrings(let node): output += "(" + node.parts.map { "\($0.1)" }.joined(separator: " + ") + ")"
        case .currentPosition: output += "__curPos"
        }
    }

    static func showString(_ text: String) -> String {
        var output = "\""
        for character in text.unicodeScalars {
            switch character {
            case "\"", "\\", "$": output += "\\" + String(character)
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default: output.unicodeScalars.append(character)
            }
        }
        return output + "\""
    }

    private static func showPath(_ path: [NixAttrName]) -> String {
        path.map { name in
            switch name {
            case .name(let text): return NixPrinter.name(text)
            case .dynamic(let expression): return "\"${\(expression)}\""
            }
        }.joined(separator: ".")
    }
}
