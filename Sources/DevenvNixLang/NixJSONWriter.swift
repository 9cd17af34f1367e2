/// `builtins.toJSON` (Nix 2.8's `printValueAsJSON`): sets with `__toString` or `outPath` as that
/// string, other sets as objects with sorted keys, paths copied to the store, floats as C++'s
/// `ostream` writes them, and the context of every string kept.
extension NixEvaluator {
    func json(_ value: NixValue, context: inout Set<String>, at position: NixPosition?) throws -> String {
        var output: [UInt8] = []
        try writeJSON(value, to: &output, context: &context, at: position)
        return String(decoding: output, as: UTF8.self)
    }

    private func writeJSON(
        _ value: NixValue, to output: inout [UInt8], context: inout Set<String>, at position: NixPosition?
    ) throws {
        let forced = try force(value)
        switch forced {
        case .int(let int): output += Array(String(int).utf8)
        case .bool(let bool): output += Array((bool ? "true" : "false").utf8)
        case .null: output += Array("null".utf8)
        case .float(let float): output += Array(NixPrinter.format(float).utf8)
        case .string(let string):
            context.formUnion(string.context)
            NixEvaluator.writeJSONString(string.text, to: &output)
        case .path(let path):
            NixEvaluator.writeJSONString(
                try copyToStoreAsSource(path.text, context: &context, at: position), to: &output)
        case .attrs(let attrs):
            if attrs["__toString"] != nil {
                let text = try coerceToString(forced, context: &context, at: position, copyToStore: false)
                NixEvaluator.writeJSONString(text, to: &output)
            } else if let outPath = attrs.entry("outPath") {
                try writeJSON(outPath.value, to: &output, context: &context, at: outPath.position ?? position)
            } else {
                output.append(UInt8(ascii: "{"))
                for (index, name) in attrs.sortedNames.enumerated() {
                    if index > 0 { output.append(UInt8(ascii: ",")) }
                    NixEvaluator.writeJSONString(name, to: &output)
                    output.append(UInt8(ascii: ":"))
                    let entry = attrs.entry(name)!
                    try writeJSON(entry.value, to: &output, context: &context, at: entry.position ?? position)
                }
                output.append(UInt8(ascii: "}"))
            }
        case .list(let list):
            output.append(UInt8(ascii: "["))
            for (index, element) in list.elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try writeJSON(element, to: &output, context: &context, at: position)
            }
            output.append(UInt8(ascii: "]"))
        case .lambda, .primop, .partial, .thunk:
            throw NixEvalError("cannot convert \(forced.typeDescription) to JSON", at: position)
        }
    }

    /// Nix's `toJSONString`: `"` `\` newline CR tab escaped by name, other control bytes as
    /// `\u00XX`, everything else (DEL, UTF-8) raw.
    static func writeJSONString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\n"): output += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): output += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): output += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                output += Array("\\u00".utf8)
                output += [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
