extension CanonicalJSON {
    /// The form people read and commit (devenv.lock): keys sorted by their UTF-8 bytes, two-space
    /// indentation, `": "` after keys, one array element per line, and a final newline.
    public var pretty: String {
        var out = ""
        writePretty(to: &out, indent: "")
        return out + "\n"
    }

    private func writePretty(to out: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let values) where !values.isEmpty:
            out += "[\n"
            for (index, value) in values.enumerated() {
                out += inner
                value.writePretty(to: &out, indent: inner)
                out += index == values.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                out += inner + CanonicalJSON.string(key).serialized + ": "
                members[key]!.writePretty(to: &out, indent: inner)
                out += index == keys.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        default:
            out += serialized
        }
    }

    /// How deeply arrays and objects may nest in parsed text: the parser recurses once per level,
    /// and a lock nests a derivation's dependency chain two levels per link.
    public static let maximumDepth = 256

    /// Parses JSON text (objects, arrays, strings, integers, booleans, null; no fractions).
    public init(parsing text: String) throws {
        var parser = JSONParser(bytes: Array(text.utf8))
        self = try parser.value()
        parser.skipSpace()
        guard parser.position == parser.bytes.count else { throw parser.error("trailing characters") }
    }
}

/// A small strict JSON reader for `CanonicalJSON(parsing:)`.
private struct JSONParser {
    let bytes: [UInt8]
    var position = 0
    var depth = 0

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func error(_ message: String) -> Failure { Failure(description: "invalid JSON at byte \(position): \(message)") }

    mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// Consumes `byte` if it comes next.
    mutating func skip(_ byte: Character) -> Bool {
        guard position < bytes.count, bytes[position] == byte.asciiValue else { return false }
        position += 1
        return true
    }

    mutating func expect(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count,
            literal.withUTF8Buffer({ $0.elementsEqual(bytes[position..<position + count]) })
        else { throw error("expected \(literal)") }
        position += count
    }

    mutating func value() throws -> CanonicalJSON {
        skipSpace()
        guard position < bytes.count else { throw error("unexpected end") }
        let opening = bytes[position] == UInt8(ascii: "{") || bytes[position] == UInt8(ascii: "[")
        if opening {
            depth += 1
            guard depth <= CanonicalJSON.maximumDepth else {
                throw error("nested deeper than \(CanonicalJSON.maximumDepth) levels")
            }
        }
        defer { if opening { depth -= 1 } }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var members: [String: CanonicalJSON] = [:]
            skipSpace()
            if skip("}") { return .object(members) }
            repeat {
                skipSpace()
                let key = try string()
                skipSpace()
                try expect(":")
                members[key] = try value()
                skipSpace()
            } while skip(",")
            try expect("}")
            return .object(members)
        case UInt8(ascii: "["):
            position += 1
            var values: [CanonicalJSON] = []
            skipSpace()
            if skip("]") { return .array(values) }
            repeat {
                values.append(try value())
                skipSpace()
            } while skip(",")
            try expect("]")
            return .array(values)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        default:
            let start = position
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                position += 1
            }
            guard let number = Int64(String(decoding: bytes[start..<position], as: UTF8.self)) else {
                throw error("expected a value")
            }
            return .integer(number)
        }
    }

    /// A string: its text between escapes is taken whole (a lock's strings rarely have any),
    /// not a scalar at a time.
    mutating func string() throws -> String {
        try expect("\"")
        var text = ""
        var chunkStart = position
        func flush() { text += String(decoding: bytes[chunkStart..<position], as: UTF8.self) }
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                flush()
                position += 1
                return text
            }
            if byte < 0x20 { throw error("a control character in a string must be escaped") }
            if byte == UInt8(ascii: "\\") {
                flush()
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "n"): text += "\n"
                case UInt8(ascii: "t"): text += "\t"
                case UInt8(ascii: "r"): text += "\r"
                case UInt8(ascii: "b"): text += "\u{8}"
                case UInt8(ascii: "f"): text += "\u{C}"
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        try expect("\\u")
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("invalid surrogate pair") }
                        code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                    text.unicodeScalars.append(scalar)
                default: text.unicodeScalars.append(Unicode.Scalar(escape))
                }
                chunkStart = position
                continue
            }
            position += 1
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard bytes.count - position >= 4,
            let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
        else { throw error("expected four hex digits") }
        position += 4
        return value
    }
}
