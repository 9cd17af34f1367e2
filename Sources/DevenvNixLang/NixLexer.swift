/// Splits Nix source into tokens exactly as Nix 2.8's flex lexer does (`src/libexpr/lexer.l`):
/// at each point the rule that matches the longest text wins, the earlier rule on a tie, and the
/// start conditions (in code, in a `"` string, in a `''` string, inside a path) are a stack that
/// `{`, `${`, quotes and `}` push and pop. Errors, as Nix's, name their line and column.
public struct NixLexer {
    private enum State {
        /// Code: Nix's INITIAL (the bottom of the stack) and DEFAULT.
        case initial, code
        case string, indentedString
        /// After a path: more of it may follow (`inPath`), or must (`inPathSlash`, after a `/`).
        case inPath, inPathSlash
        /// Before a path whose first part ends in `/` and is followed by `${`.
        case pathStart
    }

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let line: Int
        public let column: Int
        public let message: String
        public var description: String { "\(line):\(column): \(message)" }

        public init(line: Int, column: Int, message: String) {
            self.line = line
            self.column = column
            self.message = message
        }
    }

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var column = 1
    private var states: [State] = [.initial]
    /// The last run of path characters and of URI scheme characters measured, and where a `*/`
    /// is known not to follow: what is asked again at each later position of the same run, so
    /// that no input costs quadratic time (`1.1.1.…`, an unterminated `/*`).
    private var pathRun = 0..<0
    private var schemeRun = 0..<0
    private var noCommentEndFrom = Int.max

    public init(_ source: [UInt8]) { bytes = source }

    /// Every token up to and including `.end`.
    public static func tokens(of source: [UInt8]) throws -> [NixToken] {
        var lexer = NixLexer(source)
        var tokens: [NixToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    /// The next token (`.end` at the end, and from then on).
    public mutating func next() throws -> NixToken {
        while true {
            let (line, column) = (self.line, self.column)
            let found: (kind: NixToken.Kind, length: Int)?
            switch states.last! {
            case .initial, .code:
                if index >= bytes.count { return NixToken(.end, line: line, column: column) }
                found = try code()
            case .string:
                if index >= bytes.count { return NixToken(.end, line: line, column: column) }
                found = string()
            case .indentedString:
                if index >= bytes.count { return NixToken(.end, line: line, column: column) }
                found = indentedString()
            case .inPath, .inPathSlash:
                found = try path()
            case .pathStart:
                states.removeLast()
                states.append(.inPathSlash)
                let length = at(index, "~/") ? 2 : pathSegment(index)
                let text = Array(bytes[index..<index + length])
                found = (length == 2 && text == Array("~/".utf8) ? .homePath(text) : .path(text), length)
            }
            guard let found else { continue }  // a new state, nothing read
            advance(found.length)
            if case .end = found.kind { continue }  // whitespace or a comment
            return NixToken(found.kind, line: line, column: column)
        }
    }

    // MARK: Code

    private static let keywords: Set<String> = [
        "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or",
    ]
    private static let operators = ["...", "==", "!=", "<=", ">=", "&&", "||", "->", "//", "++"]

    /// A token of code, or `.end` for whitespace and comments (skipped), by the longest rule.
    private mutating func code() throws -> (NixToken.Kind, Int)? {
        let at = index
        // Candidates in the lexer's rule order; the first of the longest wins.
        var best: (length: Int, rule: Rule) = (0, .character)
        func consider(_ length: Int, _ rule: Rule) { if length > best.length { best = (length, rule) } }
        let identifier = identifierLength(at)
        if identifier > 0, NixLexer.keywords.contains(text(at, identifier)) { consider(identifier, .keyword) }
        for op in NixLexer.operators where self.at(at, op) { consider(op.utf8.count, .operator) }
        consider(identifier, .identifier)
        consider(digits(at), .integer)
        consider(floatLength(at), .float)
        if self.at(at, "${") { consider(2, .dollarCurly) }
        if bytes[at] == UInt8(ascii: "}") { consider(1, .closeBrace) }
        if bytes[at] == UInt8(ascii: "{") { consider(1, .openBrace) }
        if bytes[at] == UInt8(ascii: "\"") { consider(1, .quote) }
        if self.at(at, "''") {
            var end = at + 2
            while end < bytes.count && bytes[end] == UInt8(ascii: " ") { end += 1 }
            consider(end < bytes.count && bytes[end] == UInt8(ascii: "\n") ? end + 1 - at : 2, .indentedOpen)
        }
        let segment = pathSegment(at)
        if segment > 0, self.at(at + segment, "${") { consider(segment + 2, .pathStart) }
        if self.at(at, "~/${") { consider(4, .pathStart) }
        consider(pathLength(at), .path)
        if bytes[at] == UInt8(ascii: "~") { consider(segmentsLength(at + 1).map { $0 + 1 } ?? 0, .homePath) }
        consider(searchPathLength(at), .searchPath)
        consider(uriLength(at), .uri)
        consider(whitespaceOrCommentLength(at), .skip)
        let length = max(best.length, 1)
        let matched = Array(bytes[at..<at + length])
        switch best.rule {
        case .keyword: return (.keyword(text(at, length)), length)
        case .operator: return (.operator(text(at, length)), length)
        case .identifier: return (.identifier(text(at, length)), length)
        case .integer:
            guard let value = Int64(text(at, length)) else {
                throw failure("invalid integer '\(text(at, length))'")
            }
            return (.integer(value), length)
        case .float:
            guard let value = Double(text(at, length)), value.isFinite else {
                throw failure("invalid float '\(text(at, length))'")
            }
            return (.float(value), length)
        case .dollarCurly:
            states.append(.code)
            return (.dollarCurly, length)
        case .openBrace:
            states.append(.code)
            return (.character(UInt8(ascii: "{")), length)
        case .closeBrace:
            if states.count > 1 { states.removeLast() }
            return (.character(UInt8(ascii: "}")), length)
        case .quote:
            states.append(.string)
            return (.character(UInt8(ascii: "\"")), length)
        case .indentedOpen:
            states.append(.indentedString)
            return (.indentedOpen, length)
        case .pathStart:
            states.append(.pathStart)
            return nil
        case .path, .homePath:
            states.append(matched.last == UInt8(ascii: "/") ? .inPathSlash : .inPath)
            return (best.rule == .path ? .path(matched) : .homePath(matched), length)
        case .searchPath: return (.searchPath(matched), length)
        case .uri: return (.uri(matched), length)
        case .skip: return (.end, length)
        case .character: return (.character(bytes[at]), 1)
        }
    }

    private enum Rule {
        case keyword, `operator`, identifier, integer, float, dollarCurly, openBrace, closeBrace, quote
        case indentedOpen, pathStart, path, homePath, searchPath, uri, skip, character
    }

    // MARK: Strings

    private mutating func string() -> (NixToken.Kind, Int) {
        if at(index, "${") {
            states.append(.code)
            return (.dollarCurly, 2)
        }
        if bytes[index] == UInt8(ascii: "\"") {
            states.removeLast()
            return (.character(UInt8(ascii: "\"")), 1)
        }
        // ([^$"\\]|\$[^{"\\]|\\ANY|\$\\ANY)+, and a `$` right before the closing quote.
        var end = index
        while end < bytes.count {
            let byte = bytes[end]
            let following = end + 1 < bytes.count ? bytes[end + 1] : nil
            if byte == UInt8(ascii: "\\") {
                guard following != nil else { break }
                end += 2
            } else if byte == UInt8(ascii: "$") {
                guard let following else { break }
                if following == UInt8(ascii: "\\") {
                    guard end + 2 < bytes.count else { break }
                    end += 3
                } else if following == UInt8(ascii: "\"") {
                    end += 1
                    break
                } else if following == UInt8(ascii: "{") {
                    break
                } else {
                    end += 2
                }
            } else if byte == UInt8(ascii: "\"") {
                break
            } else {
                end += 1
            }
        }
        if end == index {
            // `$`, `\` or `$\` at the end of the input: text the parser will find unterminated.
            let length = bytes.count - index
            return (.stringText(Array(bytes[index...])), length)
        }
        return (.stringText(NixLexer.unescape(bytes[index..<end])), end - index)
    }

    private mutating func indentedString() -> (NixToken.Kind, Int) {
        let quote = UInt8(ascii: "'")
        let dollar = UInt8(ascii: "$")
        if at(index, "''\\"), index + 3 < bytes.count {
            return (.indentedText(NixLexer.unescape(bytes[index + 2..<index + 4]), raw: false), 4)
        }
        if at(index, "'''") { return (.indentedText(Array("''".utf8), raw: false), 3) }
        if at(index, "''$") { return (.indentedText([dollar], raw: false), 3) }
        if at(index, "''") {
            states.removeLast()
            return (.indentedClose, 2)
        }
        if at(index, "${") {
            states.append(.code)
            return (.dollarCurly, 2)
        }
        // ([^$']|\$[^{']|'[^'$])+
        var end = index
        while end < bytes.count {
            let byte = bytes[end]
            let following = end + 1 < bytes.count ? bytes[end + 1] : nil
            if byte == dollar || byte == quote {
                guard let following, following != quote, following != (byte == dollar ? UInt8(ascii: "{") : dollar)
                else { break }
                end += 2
            } else {
                end += 1
            }
        }
        if end == index { return (.indentedText([bytes[index]], raw: false), 1) }  // `$` or `'`
        return (.indentedText(Array(bytes[index..<end]), raw: true), end - index)
    }

    /// Nix's `unescapeStr`: `\n`, `\r`, `\t`, any other `\x` as `x`; CR and CR LF as LF.
    static func unescape(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(text.count)
        var i = text.startIndex
        while i < text.endIndex {
            let byte = text[i]
            i += 1
            if byte == UInt8(ascii: "\\"), i < text.endIndex {
                let escaped = text[i]
                i += 1
                switch escaped {
                case UInt8(ascii: "n"): result.append(10)
                case UInt8(ascii: "r"): result.append(13)
                case UInt8(ascii: "t"): result.append(9)
                default: result.append(escaped)
                }
            } else if byte == 13 {
                result.append(10)
                if i < text.endIndex && text[i] == 10 { i += 1 }
            } else {
                result.append(byte)
            }
        }
        return result
    }

    // MARK: Paths

    private mutating func path() throws -> (NixToken.Kind, Int) {
        let slash = states.last! == .inPathSlash
        if at(index, "${") {
            states.removeLast()
            states.append(.inPath)
            states.append(.code)
            return (.dollarCurly, 2)
        }
        let length = max(pathLength(index), pathSegment(index), pathCharacters(index))
        if length > 0 {
            let matched = Array(bytes[index..<index + length])
            states.removeLast()
            states.append(matched.last == UInt8(ascii: "/") ? .inPathSlash : .inPath)
            return (.pathText(matched), length)
        }
        guard !slash else { throw failure("path has a trailing slash") }
        states.removeLast()
        return (.pathEnd, 0)
    }

    // MARK: Matching

    private func at(_ position: Int, _ text: String) -> Bool {
        var i = position
        for byte in text.utf8 {
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
        }
        return true
    }

    private func text(_ start: Int, _ length: Int) -> String {
        String(decoding: bytes[start..<start + length], as: UTF8.self)
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    /// `[a-zA-Z0-9._\-+]`.
    private static func isPathCharacter(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
    }

    private func count(from start: Int, while predicate: (UInt8) -> Bool) -> Int {
        var end = start
        while end < bytes.count && predicate(bytes[end]) { end += 1 }
        return end - start
    }

    /// `[a-zA-Z_][a-zA-Z0-9_'\-]*`.
    private func identifierLength(_ start: Int) -> Int {
        guard NixLexer.isLetter(bytes[start]) || bytes[start] == UInt8(ascii: "_") else { return 0 }
        return 1
            + count(from: start + 1) {
                NixLexer.isLetter($0) || NixLexer.isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "'")
                    || $0 == UInt8(ascii: "-")
            }
    }

    private func digits(_ start: Int) -> Int { count(from: start, while: NixLexer.isDigit) }

    /// `(([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)?`.
    private func floatLength(_ start: Int) -> Int {
        var mantissa = 0
        if bytes[start] != UInt8(ascii: "0") && NixLexer.isDigit(bytes[start]) {
            let whole = digits(start)
            if start + whole < bytes.count && bytes[start + whole] == UInt8(ascii: ".") {
                mantissa = whole + 1 + digits(start + whole + 1)
            }
        }
        let zero = bytes[start] == UInt8(ascii: "0") ? 1 : 0
        if start + zero < bytes.count && bytes[start + zero] == UInt8(ascii: "."), start + zero + 1 < bytes.count {
            let fraction = digits(start + zero + 1)
            if fraction > 0 { mantissa = max(mantissa, zero + 1 + fraction) }
        }
        guard mantissa > 0 else { return 0 }
        var end = start + mantissa
        if end < bytes.count && (bytes[end] == UInt8(ascii: "e") || bytes[end] == UInt8(ascii: "E")) {
            var exponent = end + 1
            if exponent < bytes.count && (bytes[exponent] == UInt8(ascii: "+") || bytes[exponent] == UInt8(ascii: "-"))
            {
                exponent += 1
            }
            let count = digits(exponent)
            if count > 0 { end = exponent + count }
        }
        return end - start
    }

    private mutating func pathCharacters(_ start: Int) -> Int {
        if !pathRun.contains(start) {
            pathRun = start..<start + count(from: start, while: NixLexer.isPathCharacter)
            if pathRun.isEmpty { return 0 }
        }
        return pathRun.upperBound - start
    }

    /// `{PATH_CHAR}*\/`.
    private mutating func pathSegment(_ start: Int) -> Int {
        let characters = pathCharacters(start)
        return start + characters < bytes.count && bytes[start + characters] == UInt8(ascii: "/") ? characters + 1 : 0
    }

    /// `(\/{PATH_CHAR}+)+\/?` from `start`, or nil.
    private mutating func segmentsLength(_ start: Int) -> Int? {
        var end = start
        var segments = 0
        while end < bytes.count && bytes[end] == UInt8(ascii: "/") {
            let characters = pathCharacters(end + 1)
            guard characters > 0 else { break }
            end += 1 + characters
            segments += 1
        }
        guard segments > 0 else { return nil }
        if end < bytes.count && bytes[end] == UInt8(ascii: "/") { end += 1 }
        return end - start
    }

    /// `{PATH_CHAR}*(\/{PATH_CHAR}+)+\/?`.
    private mutating func pathLength(_ start: Int) -> Int {
        let characters = pathCharacters(start)
        return segmentsLength(start + characters).map { characters + $0 } ?? 0
    }

    /// `\<{PATH_CHAR}+(\/{PATH_CHAR}+)*\>`.
    private mutating func searchPathLength(_ start: Int) -> Int {
        guard bytes[start] == UInt8(ascii: "<") else { return 0 }
        var end = start + 1
        while true {
            let characters = pathCharacters(end)
            guard characters > 0 else { return 0 }
            end += characters
            if end < bytes.count && bytes[end] == UInt8(ascii: ">") { return end + 1 - start }
            guard end < bytes.count && bytes[end] == UInt8(ascii: "/") else { return 0 }
            end += 1
        }
    }

    /// `[a-zA-Z][a-zA-Z0-9\+\-\.]*\:[a-zA-Z0-9\%\/\?\:\@\&\=\+\$\,\-\_\.\!\~\*\']+`.
    private mutating func uriLength(_ start: Int) -> Int {
        guard NixLexer.isLetter(bytes[start]) else { return 0 }
        if !schemeRun.contains(start + 1) {
            schemeRun =
                start + 1..<start + 1
                + count(from: start + 1) {
                    NixLexer.isLetter($0) || NixLexer.isDigit($0) || $0 == UInt8(ascii: "+")
                        || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
                }
        }
        let scheme = schemeRun.isEmpty ? 1 : schemeRun.upperBound - start
        guard start + scheme < bytes.count, bytes[start + scheme] == UInt8(ascii: ":") else { return 0 }
        let rest = count(from: start + scheme + 1) {
            NixLexer.isLetter($0) || NixLexer.isDigit($0) || "%/?:@&=+$,-_.!~*'".utf8.contains($0)
        }
        return rest > 0 ? scheme + 1 + rest : 0
    }

    /// `[ \t\r\n]+`, `#[^\r\n]*` or `/*…*/`.
    private mutating func whitespaceOrCommentLength(_ start: Int) -> Int {
        let space = count(from: start) { $0 == 32 || $0 == 9 || $0 == 13 || $0 == 10 }
        if space > 0 { return space }
        if bytes[start] == UInt8(ascii: "#") { return 1 + count(from: start + 1) { $0 != 13 && $0 != 10 } }
        if at(start, "/*"), start + 2 < noCommentEndFrom {
            var end = start + 2
            while end + 1 < bytes.count {
                if bytes[end] == UInt8(ascii: "*") && bytes[end + 1] == UInt8(ascii: "/") { return end + 2 - start }
                end += 1
            }
            noCommentEndFrom = start + 2
        }
        return 0
    }

    // MARK: Position

    /// Moves past `length` bytes, counting lines and columns as Nix does (CR LF is one line end).
    private mutating func advance(_ length: Int) {
        let end = index + length
        while index < end {
            let byte = bytes[index]
            index += 1
            if byte == 13 && index < end && bytes[index] == 10 { index += 1 }
            if byte == 10 || byte == 13 {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
    }

    private func failure(_ message: String) -> Failure { Failure(line: line, column: column, message: message) }
}
