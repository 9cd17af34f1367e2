/// `builtins.toXML` and `nix-instantiate --eval --xml --strict` (Nix 2.8's `printValueAsXML`):
/// the same bytes, indented by two spaces, attributes of an element in name order; a derivation
/// is shown once, later as `<repeated />`. With `locations` (nix-instantiate without
/// `--no-location`), attributes and functions say where they were written.
extension NixEvaluator {
    /// The XML document for `value`, forcing it deeply on the way.
    public func xml(_ value: NixValue, locations: Bool = false) throws -> String {
        var context = Set<String>()
        return try arena.enter { try xml(value, context: &context, at: nil, locations: locations) }
    }

    func xml(_ value: NixValue, context: inout Set<String>, at position: NixPosition?, locations: Bool = false) throws
        -> String
    {
        var writer = XMLWriter()
        writer.open("expr")
        var derivationsSeen = Set<String>()
        try writeXML(
            value, to: &writer, context: &context, derivationsSeen: &derivationsSeen, at: position, locations: locations
        )
        writer.close()
        return writer.output
    }

    private func writeXML(
        _ value: NixValue, to writer: inout XMLWriter, context: inout Set<String>, derivationsSeen: inout Set<String>,
        at position: NixPosition?, locations: Bool
    ) throws {
        let forced = try force(value)
        switch forced {
        case .int(let int): writer.empty("int", ["value": String(int)])
        case .bool(let bool): writer.empty("bool", ["value": bool ? "true" : "false"])
        case .string(let string):
            context.formUnion(string.context)
            writer.empty("string", ["value": string.text])
        case .path(let path): writer.empty("path", ["value": path.text])
        case .null: writer.empty("null")
        case .float(let float): writer.empty("float", ["value": NixPrinter.format(float)])
        case .attrs(let attrs):
            if try isDerivation(attrs) {
                var xmlAttributes: [String: String] = [:]
                var drvPath = ""
                if let value = attrs["drvPath"], case .string(let string) = try force(value) {
                    drvPath = string.text
                    xmlAttributes["drvPath"] = drvPath
                }
                if let value = attrs["outPath"], case .string(let string) = try force(value) {
                    xmlAttributes["outPath"] = string.text
                }
                writer.open("derivation", xmlAttributes)
                if !drvPath.isEmpty && derivationsSeen.insert(drvPath).inserted {
                    try writeXMLAttrs(
                        attrs, to: &writer, context: &context, derivationsSeen: &derivationsSeen, locations: locations)
                } else {
                    writer.empty("repeated")
                }
                writer.close()
            } else {
                writer.open("attrs")
                try writeXMLAttrs(
                    attrs, to: &writer, context: &context, derivationsSeen: &derivationsSeen, locations: locations)
                writer.close()
            }
        case .list(let list):
            writer.open("list")
            for element in list.elements {
                try writeXML(
                    element, to: &writer, context: &context, derivationsSeen: &derivationsSeen, at: position,
                    locations: locations)
            }
            writer.close()
        case .lambda(let closure):
            let lambda = closure.lambda
            writer.open("function", locations ? NixEvaluator.xmlLocation(lambda.position) : [:])
            if let formals = lambda.formals {
                var xmlAttributes: [String: String] = [:]
                if let argument = lambda.argument { xmlAttributes["name"] = argument }
                if lambda.ellipsis { xmlAttributes["ellipsis"] = "1" }
                writer.open("attrspat", xmlAttributes)
                for name in formals.map(\.name).sorted(by: { NixAttrs.precedes($0, $1) }) {
                    writer.empty("attr", ["name": name])
                }
                writer.close()
            } else {
                writer.empty("varpat", ["name": lambda.argument ?? ""])
            }
            writer.close()
        case .primop, .partial, .thunk:
            writer.empty("unevaluated")
        }
    }

    private func writeXMLAttrs(
        _ attrs: NixAttrs, to writer: inout XMLWriter, context: inout Set<String>, derivationsSeen: inout Set<String>,
        locations: Bool
    ) throws {
        for name in attrs.sortedNames {
            let entry = attrs.entry(name)!
            var xmlAttributes = ["name": name]
            if locations, let position = entry.position {
                xmlAttributes.merge(NixEvaluator.xmlLocation(position)) { $1 }
            }
            writer.open("attr", xmlAttributes)
            try writeXML(
                entry.value, to: &writer, context: &context, derivationsSeen: &derivationsSeen, at: entry.position,
                locations: locations)
            writer.close()
        }
    }
}

extension NixEvaluator {
    /// Nix's `posToXML`.
    static func xmlLocation(_ position: NixPosition) -> [String: String] {
        ["path": position.file, "line": String(position.line), "column": String(position.column)]
    }
}

/// Nix's `XMLWriter` with indentation: one element a line.
private struct XMLWriter {
    private(set) var output = "<?xml version='1.0' encoding='utf-8'?>\n"
    private var open: [String] = []

    mutating func open(_ name: String, _ attributes: [String: String] = [:]) {
        output += String(repeating: "  ", count: open.count) + "<" + name + XMLWriter.render(attributes) + ">\n"
        open.append(name)
    }

    mutating func close() {
        let name = open.removeLast()
        output += String(repeating: "  ", count: open.count) + "</" + name + ">\n"
    }

    mutating func empty(_ name: String, _ attributes: [String: String] = [:]) {
        output += String(repeating: "  ", count: open.count) + "<" + name + XMLWriter.render(attributes) + " />\n"
    }

    /// ` name="value"` in name order, with `"<>&` and newlines escaped.
    private static func render(_ attributes: [String: String]) -> String {
        var result = ""
        for name in attributes.keys.sorted(by: NixAttrs.precedes) {
            result += " " + name + "=\""
            for character in attributes[name]!.unicodeScalars {
                switch character {
                case "\"": result += "&quot;"
                case "<": result += "&lt;"
                case ">": result += "&gt;"
                case "&": result += "&amp;"
                case "\n": result += "&#xA;"
                default: result.unicodeScalars.append(character)
                }
            }
            result += "\""
        }
        return result
    }
}
