import Foundation

/// What TOMLKit cannot be handed unchecked, checked on the bytes first: TOML is UTF-8 (invalid
/// bytes would be replaced silently, changing a value), has no NUL (its C++ parser would stop
/// reading there, hiding the rest from review), and nests boundedly (the parser and the trees
/// built from it recurse once per level, so a 100 KB key of 50,000 dotted parts would exhaust
/// the stack). Each problem is an error at its `file:line:column`.
public enum TOMLInputCheck {
    /// The deepest a value may sit: table header parts, key parts and open arrays or inline
    /// tables together. devenv's files need a handful.
    public static let maximumDepth = 128

    /// The text of a TOML file's bytes, once they are valid UTF-8.
    public static func text(of data: Data, file: String) throws -> String {
        let bytes = [UInt8](data)
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var line = 1
        var column = 1
        while case .scalarValue(let scalar) = decoder.decode(&iterator) {
            offset += UTF8.width(scalar)
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        let byte = offset < bytes.count ? String(format: " (byte 0x%02X)", bytes[offset]) : ""
        throw TOMLError("\(file):\(line):\(column): invalid UTF-8\(byte); TOML files must be UTF-8")
    }

    /// Refuses NUL bytes and nesting deeper than `maximumDepth`. A scan of the structure, not a
    /// parser: what it cannot make sense of is left to TOMLKit to report.
    public static func check(_ text: String, file: String) throws {
        var scanner = Scanner(bytes: Array(text.utf8), file: file)
        try scanner.run()
    }

    private struct Scanner {
        let bytes: [UInt8]
        let file: String
        var index = 0
        var line = 1
        var lineStart = 0
        /// Parts of the current table header.
        var headerDepth = 0
        /// Open arrays and inline tables, each with the depth it adds.
        var open: [(byte: UInt8, depth: Int)] = []
        /// Parts of the key just read (before its `=`), which a `{` or `[` value nests under.
        var keyDepth = 0
        var expectingKey = true

        init(bytes: [UInt8], file: String) {
            self.bytes = bytes
            self.file = file
        }

        var depth: Int { headerDepth + open.reduce(0) { $0 + $1.depth } }

        func error(_ message: String, at position: Int) -> TOMLError {
            let column = bytes[lineStart..<min(position, bytes.count)].filter { $0 & 0xC0 != 0x80 }.count + 1
            return TOMLError("\(file):\(line):\(column): \(message)")
        }

        func tooDeep(at position: Int) -> TOMLError {
            error("nested deeper than \(TOMLInputCheck.maximumDepth) levels", at: position)
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func run() throws {
            if let nul = bytes.firstIndex(of: 0) {
                // Place it first: everything after a NUL would be unseen.
                index = 0
                while index < nul { advance() }
                throw error("a NUL byte is not allowed in TOML", at: nul)
            }
            while let byte = current {
                if expectingKey {
                    try key()
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "'"): skipString()
                case UInt8(ascii: "#"): skipComment()
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    open.append((byte, 1 + keyDepth))
                    keyDepth = 0
                    if depth > TOMLInputCheck.maximumDepth { throw tooDeep(at: index) }
                    advance()
                    expectingKey = byte == UInt8(ascii: "{")
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if !open.isEmpty { open.removeLast() }
                    advance()
                case UInt8(ascii: ","):
                    advance()
                    expectingKey = open.last?.byte == UInt8(ascii: "{")
                case UInt8(ascii: "\n"):
                    advance()
                    expectingKey = open.isEmpty
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    advance()
                default:
                    keyDepth = 0
                    advance()
                }
            }
        }

        mutating func advance() {
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }

        /// A key (at the start of a line or in an inline table), or a table header, up to its `=` or `]`.
        mutating func key() throws {
            skipBlanks()
            guard let first = current else { return }
            if first == UInt8(ascii: "\n") || first == UInt8(ascii: "#") || first == UInt8(ascii: "}") {
                expectingKey = first == UInt8(ascii: "\n") ? open.isEmpty : false
                if first == UInt8(ascii: "#") { skipComment() } else if first == UInt8(ascii: "\n") { advance() }
                return
            }
            let header = open.isEmpty && first == UInt8(ascii: "[")
            let start = index
            if header { try headerStart() }
            var parts = 1
            while let byte = current {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    skipString()
                    continue
                }
                if byte == UInt8(ascii: ".") {
                    parts += 1
                    let limit = header ? TOMLInputCheck.maximumDepth : TOMLInputCheck.maximumDepth - depth
                    if parts > limit { throw tooDeep(at: start) }
                } else if byte == UInt8(ascii: header ? "]" : "=") || byte == UInt8(ascii: "\n") {
                    break
                }
                advance()
            }
            if header {
                headerDepth = parts
                while current == UInt8(ascii: "]") { advance() }
                expectingKey = true
            } else {
                keyDepth = parts - 1
                if current == UInt8(ascii: "=") { advance() }
                expectingKey = false
            }
        }

        /// Past the `[` or `[[` of a table header, at its key. TOMLKit's parser assumes a key or a
        /// `]` follows (and does not check it: undefined behaviour, an abort in debug builds).
        mutating func headerStart() throws {
            advance()
            skipBlanks()
            if current == UInt8(ascii: "[") {
                advance()
                skipBlanks()
            }
            guard let byte = current else { return }
            let bareKey =
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
            guard bareKey || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "]") else {
                throw error("a table header must start with a key", at: index)
            }
        }

        mutating func skipBlanks() {
            while let byte = current, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
        }

        mutating func skipComment() {
            while let byte = current, byte != UInt8(ascii: "\n") { advance() }
        }

        /// A basic or literal string, single-line or multi-line (`"""`, `'''`).
        mutating func skipString() {
            let quote = bytes[index]
            let triple = index + 2 < bytes.count && bytes[index + 1] == quote && bytes[index + 2] == quote
            for _ in 0..<(triple ? 3 : 1) { advance() }
            while let byte = current {
                if byte == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                    advance()
                    if current != nil { advance() }
                    continue
                }
                if byte == UInt8(ascii: "\n") && !triple { return }
                if byte == quote {
                    if !triple {
                        advance()
                        return
                    }
                    if index + 2 < bytes.count && bytes[index + 1] == quote && bytes[index + 2] == quote {
                        // A closing `"""` may be followed by up to two more quotes of the content.
                        while current == quote { advance() }
                        return
                    }
                }
                advance()
            }
        }
    }
}
