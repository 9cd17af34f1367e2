import Foundation
import TOMLKit

/// A value of a TOML document, copied out of TOMLKit's tree (which is not Sendable) at once.
public indirect enum TOMLNode: Hashable, Sendable {
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case array([TOMLNode])
    case table([String: TOMLNode])
    /// Dates and times, which devenv's files never use, kept as their text.
    case other(String)

    /// The name of the value's type for messages ("a string", "a table", ...).
    public var kind: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .double: "a float"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .other: "a date or time"
        }
    }

    init(_ value: any TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .integer(value.int ?? 0)
        case .double: self = .double(value.double ?? 0)
        case .bool: self = .bool(value.bool ?? false)
        case .array: self = .array((value.array.map(Array.init) ?? []).map(TOMLNode.init))
        case .table:
            let table = value.table!
            self = .table(Dictionary(uniqueKeysWithValues: table.keys.map { ($0, TOMLNode(table[$0]!)) }))
        default: self = .other(value.debugDescription)
        }
    }
}

/// A parsed TOML file that can say where a key is written, so errors about values (unknown
/// keys, wrong types) point at `file:line:column` like syntax errors do.
public struct TOMLDocument: Sendable {
    public let file: String
    public let root: [String: TOMLNode]
    private let text: String
    private let keys: KeyPositions

    public init(file: String, text: String) throws {
        self.file = file
        try TOMLInputCheck.check(text, file: file)
        do {
            let table = try TOMLTable(string: text)
            root = Dictionary(uniqueKeysWithValues: table.keys.map { ($0, TOMLNode(table[$0]!)) })
        } catch let error as TOMLParseError {
            throw TOMLError("\(file):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        }
        self.text = text
        keys = KeyPositions(text)
    }

    /// Where each key is written, found the first time it is asked: only messages and the order
    /// of a few tables need it, and scanning the text took a quarter of `devenv build`'s start.
    private var positions: [[String]: (line: Int, column: Int)] { keys.positions }

    /// `file:line:column: message`, at the key `path` (or the nearest enclosing key that is written).
    public func error(at path: [String], _ message: String) -> TOMLError {
        var probe = path
        while !probe.isEmpty {
            if let position = positions[probe] {
                return TOMLError("\(file):\(position.line):\(position.column): \(message)")
            }
            probe.removeLast()
        }
        return TOMLError("\(file): \(message)")
    }

    /// `file:line:column` of the string `value` in the array at `path` (or of the key, when the
    /// string cannot be found), to point messages at one element.
    public func location(of path: [String], element value: String) -> String {
        if let position = positions[path] {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for number in (position.line - 1)..<lines.count {
                let line = String(lines[number])
                for quote in ["\"", "'"] {
                    if let range = line.range(of: quote + value + quote) {
                        return "\(file):\(number + 1):\(line.distance(from: line.startIndex, to: range.lowerBound) + 1)"
                    }
                }
                if number > position.line - 1, line.contains("=") && !line.contains("[") { break }
            }
        }
        var probe = path
        while !probe.isEmpty {
            if let position = positions[probe] { return "\(file):\(position.line):\(position.column)" }
            probe.removeLast()
        }
        return file
    }

    public func error(at path: [String], element value: String, _ message: String) -> TOMLError {
        TOMLError("\(location(of: path, element: value)): \(message)")
    }

    /// The line where `path` is written (to keep the order of a table's keys as in the file).
    public func line(of path: [String]) -> Int? { positions[path]?.line }

    /// Where each key path is first written: table headers, `key = value` lines (dotted keys
    /// included) and the members of inline tables. A scan of the text, not a second parser:
    /// it only has to find keys that TOMLKit has already accepted.
    static func locateKeys(in text: String) -> [[String]: (line: Int, column: Int)] {
        var positions: [[String]: (line: Int, column: Int)] = [:]
        var table: [String] = []
        var openString: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Array(rawLine)
            let number = index + 1
            if let delimiter = openString {
                if String(rawLine).contains(delimiter) { openString = nil }
                continue
            }
            let indent = line.prefix { $0 == " " || $0 == "\t" }.count
            let body = String(line[indent...])
            if body.hasPrefix("[") {
                let header = body.hasPrefix("[[") ? body.dropFirst(2) : body.dropFirst()
                table = splitKey(String(header.prefix { $0 != "]" }))
                if positions[table] == nil { positions[table] = (number, indent + 1) }
                continue
            }
            guard let equals = keyEnd(body) else { continue }
            let key = table + splitKey(String(body[..<equals]))
            for depth in (table.count + 1)...key.count where positions[Array(key[..<depth])] == nil {
                positions[Array(key[..<depth])] = (number, indent + 1)
            }
            let value = body[body.index(after: equals)...]
            if value.contains("'''") || value.contains("\"\"\"") {
                let delimiter = value.contains("'''") ? "'''" : "\"\"\""
                if value.components(separatedBy: delimiter).count == 2 { openString = delimiter }
            }
            // Members of an inline table on the same line: `key = { a = 1, b = 2 }`.
            if let brace = value.firstIndex(of: "{") {
                var member = ""
                var column = indent + body.distance(from: body.startIndex, to: brace) + 2
                for char in value[value.index(after: brace)...] {
                    column += 1
                    if char == "=" {
                        let name = member.trimmingCharacters(in: .whitespaces)
                        let leading = member.prefix { $0 == " " }.count
                        if !name.isEmpty, positions[key + splitKey(name)] == nil {
                            positions[key + splitKey(name)] = (number, column - member.count + leading - 1)
                        }
                        member = ""
                    } else if char == "," || char == "{" || char == "}" {
                        member = ""
                    } else {
                        member.append(char)
                    }
                }
            }
        }
        return positions
    }

    /// The index of the `=` that ends a key at the start of `body`, if the line is `key = value`.
    private static func keyEnd(_ body: String) -> String.Index? {
        var quote: Character?
        for index in body.indices {
            let char = body[index]
            if let open = quote {
                if char == open { quote = nil }
            } else if char == "\"" || char == "'" {
                quote = char
            } else if char == "=" {
                return index
            } else if char == "#" {
                return nil
            }
        }
        return nil
    }

    /// `a."b.c".d` → ["a", "b.c", "d"].
    static func splitKey(_ key: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for char in key {
            if let open = quote {
                if char == open { quote = nil } else { current.append(char) }
            } else if char == "\"" || char == "'" {
                quote = char
            } else if char == "." {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(char)
            }
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }
}

/// A document's key positions, scanned once on first use by whichever thread asks.
private final class KeyPositions: @unchecked Sendable {
    private let text: String
    private let lock = NSLock()
    private var scanned: [[String]: (line: Int, column: Int)]?

    init(_ text: String) { self.text = text }

    var positions: [[String]: (line: Int, column: Int)] {
        lock.withLock {
            if let scanned { return scanned }
            let found = TOMLDocument.locateKeys(in: text)
            scanned = found
            return found
        }
    }
}
