/// Reads the keys of one table of a `TOMLDocument` with the types a file format expects;
/// every mistake is an error at the key's `file:line:column`.
public struct TOMLTableReader {
    public let document: TOMLDocument
    public let path: [String]
    public let table: [String: TOMLNode]

    public init(_ document: TOMLDocument, path: [String], table: [String: TOMLNode]) {
        self.document = document
        self.path = path
        self.table = table
    }

    /// Where the table is, for messages: "in 'a.b'" or "at the top level".
    private var location: String { path.isEmpty ? "at the top level" : "in '\(path.joined(separator: "."))'" }

    public func error(_ key: String, _ message: String) -> TOMLError {
        document.error(at: path + [key], message)
    }

    /// Every key must be one of `allowed`.
    public func rejectUnknownKeys(_ allowed: Set<String>) throws {
        for key in table.keys.sorted() where !allowed.contains(key) {
            let known = allowed.sorted().joined(separator: ", ")
            throw error(key, "unknown key '\(key)' \(location) (known keys: \(known))")
        }
    }

    private func expect<T>(_ key: String, _ type: String, _ convert: (TOMLNode) -> T?) throws -> T? {
        guard let node = table[key] else { return nil }
        guard let value = convert(node) else {
            throw error(key, "'\(key)' \(location) must be \(type), not \(node.kind)")
        }
        return value
    }

    public func string(_ key: String) throws -> String? {
        try expect(key, "a string") { if case .string(let value) = $0 { value } else { nil } }
    }

    public func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else {
            throw document.error(at: path, "'\(key)' is missing \(location)")
        }
        return value
    }

    public func integer(_ key: String) throws -> Int? {
        try expect(key, "an integer") { if case .integer(let value) = $0 { value } else { nil } }
    }

    public func bool(_ key: String) throws -> Bool? {
        try expect(key, "a boolean") { if case .bool(let value) = $0 { value } else { nil } }
    }

    public func strings(_ key: String) throws -> [String]? {
        if case .array(let items)? = table[key],
            let index = items.firstIndex(where: { if case .string = $0 { false } else { true } })
        {
            throw error(
                key, "'\(key)' \(location) must be an array of strings; element \(index + 1) is \(items[index].kind)")
        }
        return try expect(key, "an array of strings") { node in
            guard case .array(let items) = node else { return nil }
            let strings = items.compactMap { item -> String? in if case .string(let value) = item { value } else { nil }
            }
            return strings.count == items.count ? strings : nil
        }
    }

    public func stringTable(_ key: String) throws -> [String: String]? {
        // A member of the wrong type is pointed at itself, the first one as written.
        if case .table(let members)? = table[key] {
            let wrong = members.filter { if case .string = $0.value { false } else { true } }
                .map { (name: $0.key, kind: $0.value.kind, line: document.line(of: path + [key, $0.key]) ?? .max) }
                .min { ($0.line, $0.name) < ($1.line, $1.name) }
            if let wrong {
                throw document.error(
                    at: path + [key, wrong.name],
                    "'\(key).\(wrong.name)' \(location) must be a string, not \(wrong.kind)")
            }
        }
        return try expect(key, "a table of strings") { node in
            guard case .table(let members) = node else { return nil }
            let strings = members.compactMapValues { member -> String? in
                if case .string(let value) = member { value } else { nil }
            }
            return strings.count == members.count ? strings : nil
        }
    }

    /// A table of strings whose keys go into shell code: each must be a name `ShellNames`
    /// accepts (`isName`, described by `rule`), or it is an error at the name.
    public func namedStrings(_ key: String, rule: String, isName: (String) -> Bool) throws -> [String: String]? {
        guard let strings = try stringTable(key) else { return nil }
        let wrong = strings.keys.filter { !isName($0) }
            .min {
                (document.line(of: path + [key, $0]) ?? .max, $0) < (document.line(of: path + [key, $1]) ?? .max, $1)
            }
        if let wrong {
            throw document.error(
                at: path + [key, wrong],
                "\(wrong.debugDescription) in '\((path + [key]).joined(separator: "."))' is not \(rule)")
        }
        return strings
    }

    /// A table of variables (`env = { NAME = "value" }`).
    public func variables(_ key: String) throws -> [String: String]? {
        try namedStrings(key, rule: ShellSyntax.variableRule, isName: ShellSyntax.isVariable)
    }

    /// The reader of a sub-table.
    public func table(_ key: String) throws -> TOMLTableReader? {
        try expect(key, "a table") { if case .table(let members) = $0 { members } else { nil } }
            .map { TOMLTableReader(document, path: path + [key], table: $0) }
    }
}
