import Foundation

/// `builtins.fromJSON`'s parser: RFC 8259 as nlohmann/json (which Nix 2.8 uses) reads it, with
/// its error messages. Objects become sets (a repeated key keeps the last value), integers that
/// fit 64 bits ints (unsigned ones wrap, as Nix stores them), other numbers floats. Nesting is
/// bounded so that hostile input is an error rather than a stack overflow.
struct NixJSONParser {
    static let maximumDepth = 1000

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    static func parse(_ text: String) throws -> NixValue {
        var text = text
        return try text.withUTF8 { buffer in
            var parser = NixJSONParser(buffer)
            parser.skipWhitespace()
            let value = try parser.parseValue()
            parser.skipWhitespace()
            if parser.index < buffer.count {
                throw parser.syntaxError(parser.unexpected(parser.index) + "; expected end of input", at: parser.index)
            }
            return value
        }
    }

    // MARK: Values

    private mutating func parseValue() throws -> NixValue {
        guard index < bytes.count else {
            throw syntaxError("unexpected end of input; expected '[', '{', or a literal", at: index)
        }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(NixString(try parseString()))
        case UInt8(ascii: "t"): return try parseLiteral("true", .true)
        case UInt8(ascii: "f"): return try parseLiteral("false", .false)
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default:
            throw syntaxError(unexpected(index) + "; expected '[', '{', or a literal", at: index)
        }
    }

    private mutating func enter() throws {
        depth += 1
        if depth > NixJSONParser.maximumDepth {
            throw NixEvalError("JSON nesting is too deep (more than \(NixJSONParser.maximumDepth) levels)")
        }
    }

    private mutating func parseObject() throws -> NixValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        // Collected first, then sorted once.
        var entries: [NixAttrs.Entry] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .attrs(NixAttrs())
        }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw syntaxError(unexpected(index) + "; expected string literal", at: index, parsing: "object key")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw syntaxError(unexpected(index) + "; expected ':'", at: index, parsing: "object separator")
            }
            index += 1
            skipWhitespace()
            entries.append(NixAttrs.Entry(name: key, attr: NixAttrs.Attr(value: try parseValue())))
            skipWhitespace()
            guard index < bytes.count else {
                throw syntaxError("unexpected end of input; expected '}'", at: index, parsing: "object")
            }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                index += 1
                return .attrs(NixAttrs(unsorted: entries))  // the last of a repeated key wins
            default:
                throw syntaxError(unexpected(index) + "; expected '}'", at: index, parsing: "object")
            }
        }
    }

    private mutating func parseArray() throws -> NixValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [NixValue] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .list(NixList(elements))
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else {
                throw syntaxError("unexpected end of input; expected ']'", at: index, parsing: "array")
            }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                index += 1
                return .list(NixList(elements))
            default:
                throw syntaxError(unexpected(index) + "; expected ']'", at: index, parsing: "array")
            }
        }
    }

    private mutating func parseLiteral(_ word: StaticString, _ value: NixValue) throws -> NixValue {
        let start = index
        for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard index < bytes.count, bytes[index] == expected else {
                let read = String(decoding: bytes[start..<min(index + 1, bytes.count)], as: UTF8.self)
                throw syntaxError("invalid literal; last read: '\(read)'", at: index)
            }
            index += 1
        }
        return value
    }

    // MARK: Numbers

    private mutating func parseNumber() throws -> NixValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw invalidNumber(from: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        var isInteger = true
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw invalidNumber(from: start) }
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            isInteger = false
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw invalidNumber(from: start) }
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        let literal = bytes[start..<index]
        if isInteger, let integer = NixJSONParser.integer(literal) { return .int(integer) }
        let text = String(decoding: literal, as: UTF8.self)
        let float = strtod(text, nil)
        guard float.isFinite else {
            throw NixEvalError("[json.exception.out_of_range.406] number overflow parsing '\(text)'")
        }
        return .float(float)
    }

    /// The integer, if it fits 64 bits: signed if negative, else unsigned stored as Nix stores
    /// it (wrapping into the negative ints).
    private static func integer(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        let negative = digits.first == UInt8(ascii: "-")
        var magnitude: UInt64 = 0
        for digit in digits.dropFirst(negative ? 1 : 0) {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            magnitude = sum
        }
        if !negative { return Int(bitPattern: UInt(magnitude)) }
        if magnitude <= UInt64(Int64.max) { return -Int(magnitude) }
        return magnitude == UInt64(Int64.max) + 1 ? Int.min : nil
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private func invalidNumber(from start: Int) -> NixEvalError {
        let read = String(decoding: bytes[start..<min(index + 1, bytes.count)], as: UTF8.self)
        return syntaxError("invalid number; last read: '\(read)'", at: index)
    }

    // MARK: Strings

    /// A string literal; the common case, without escapes, is one validated copy.
    private mutating func parseString() throws -> String {
        let start = index
        index += 1
        let contentStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let content = bytes[contentStart..<index]
                index += 1
                return try validated(content, from: start)
            }
            if byte == UInt8(ascii: "\\") { return try parseEscapedString(from: start, contentStart: contentStart) }
            if byte < 0x20 { throw controlCharacter(byte, from: start) }
            index += 1
        }
        throw syntaxError(
            "invalid string: missing closing quote; last read: '\(lastRead(from: start))'", at: index)
    }

    private mutating func parseEscapedString(from start: Int, contentStart: Int) throws -> String {
        var decoded = Array(bytes[contentStart..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                // Nix keeps strings as C strings: a decoded NUL ends it.
                if let nul = decoded.firstIndex(of: 0) { decoded.removeSubrange(nul...) }
                return try decoded.withUnsafeBufferPointer { try validated($0[...], from: start) }
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"): appendUTF8(try parseCodePoint(from: start), to: &decoded)
                default:
                    throw syntaxError(
                        "invalid string: forbidden character after backslash; last read: '\(lastRead(from: start))'",
                        at: index - 1)
                }
            default:
                if byte < 0x20 {
                    index -= 1
                    throw controlCharacter(byte, from: start)
                }
                decoded.append(byte)
            }
        }
        throw syntaxError("invalid string: missing closing quote; last read: '\(lastRead(from: start))'", at: index)
    }

    /// `\uXXXX`, or a surrogate pair `\uD8xx\uDCxx`.
    private mutating func parseCodePoint(from start: Int) throws -> UInt32 {
        let first = try parseHex4(from: start)
        switch first {
        case 0xD800...0xDBFF:
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else {
                throw syntaxError(
                    "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF; last read: '\(lastRead(from: start))'",
                    at: index)
            }
            index += 2
            let second = try parseHex4(from: start)
            guard (0xDC00...0xDFFF).contains(second) else {
                throw syntaxError(
                    "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF; last read: '\(lastRead(from: start))'",
                    at: index)
            }
            return 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        case 0xDC00...0xDFFF:
            throw syntaxError(
                "invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF; last read: '\(lastRead(from: start))'",
                at: index)
        default:
            return first
        }
    }

    private mutating func parseHex4(from start: Int) throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count, let digit = hexValue(bytes[index]) else {
                throw syntaxError(
                    "invalid string: '\\u' must be followed by 4 hex digits; last read: '\(lastRead(from: start))'",
                    at: index)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private func appendUTF8(_ codePoint: UInt32, to bytes: inout [UInt8]) {
        switch codePoint {
        case 0..<0x80:
            bytes.append(UInt8(codePoint))
        case 0x80..<0x800:
            bytes += [UInt8(0xC0 | codePoint >> 6), UInt8(0x80 | codePoint & 0x3F)]
        case 0x800..<0x10000:
            bytes += [
                UInt8(0xE0 | codePoint >> 12), UInt8(0x80 | codePoint >> 6 & 0x3F), UInt8(0x80 | codePoint & 0x3F),
            ]
        default:
            bytes += [
                UInt8(0xF0 | codePoint >> 18), UInt8(0x80 | codePoint >> 12 & 0x3F),
                UInt8(0x80 | codePoint >> 6 & 0x3F), UInt8(0x80 | codePoint & 0x3F),
            ]
        }
    }

    /// nlohmann rejects ill-formed UTF-8 inside strings.
    private func validated(_ content: Slice<UnsafeBufferPointer<UInt8>>, from start: Int) throws -> String {
        if content.allSatisfy({ $0 < 0x80 }) { return String(decoding: content, as: UTF8.self) }
        guard let string = String(validating: content, as: UTF8.self) else {
            throw syntaxError("invalid string: ill-formed UTF-8 byte; last read: '\(lastRead(from: start))'", at: index)
        }
        return string
    }

    private func controlCharacter(_ byte: UInt8, from start: Int) -> NixEvalError {
        let hex = String(format: "%04X", byte)
        return syntaxError(
            "invalid string: control character U+\(hex) must be escaped to \\u\(hex); last read: '\(lastRead(from: start))'",
            at: index)
    }

    // MARK: Errors

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    private func lastRead(from start: Int) -> String {
        String(decoding: bytes[start..<min(index + 1, bytes.count)], as: UTF8.self)
    }

    /// How nlohmann names the token at `position`.
    private func unexpected(_ position: Int) -> String {
        guard position < bytes.count else { return "unexpected end of input" }
        switch bytes[position] {
        case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ","),
            UInt8(ascii: ":"):
            return "unexpected '\(Character(Unicode.Scalar(bytes[position])))'"
        case UInt8(ascii: "\""): return "unexpected string literal"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return "unexpected number literal"
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): return "unexpected literal"
        default:
            return "invalid literal; last read: '\(String(decoding: bytes[position..<position + 1], as: UTF8.self))'"
        }
    }

    /// nlohmann's message: line and column (1-based) of the offending byte.
    private func syntaxError(_ detail: String, at position: Int, parsing what: String = "value") -> NixEvalError {
        var line = 1
        var lineStart = 0
        for offset in 0..<min(position, bytes.count) where bytes[offset] == UInt8(ascii: "\n") {
            line += 1
            lineStart = offset + 1
        }
        return NixEvalError(
            "[json.exception.parse_error.101] parse error at line \(line), column \(position - lineStart + 1): "
                + "syntax error while parsing \(what) - \(detail)")
    }
}
