import Foundation

/// A syntax or binding error, located as `FILE:LINE:COLUMN: message`.
public struct NixSyntaxError: Error, CustomStringConvertible {
    public let position: NixPosition
    public let message: String
    public var description: String { "\(position): \(message)" }
}

/// Nix 2.8's grammar (`src/libexpr/parser.y`) by recursive descent: the same expressions, the same
/// precedences and associativity, the same desugaring (`a - b` is `__sub a b`, `<p>` is
/// `__findFile __nixPath "p"`, `let { … }` is `(rec { … }).body`), the same merging of nested
/// attribute paths and the same errors for duplicate attributes and formals.
public struct NixParser {
    private let tokens: [NixToken]
    private var index = 0
    private let file: String
    private let fileID: UInt32
    private let basePath: String
    private let home: String
    /// Bounds nesting, so that hostile input fails instead of exhausting the stack.
    private var depth = 0
    static let maximumDepth = 1000

    /// Parses `source`; relative paths in it are taken from `basePath` (the file's directory).
    public static func parse(_ source: [UInt8], file: String, basePath: String) throws -> NixExpr {
        let tokens: [NixToken]
        do {
            tokens = try NixLexer.tokens(of: source)
        } catch let failure as NixLexer.Failure {
            throw NixSyntaxError(
                position: NixPosition(file: file, line: failure.line, column: failure.column),
                message: failure.message)
        }
        var parser = NixParser(tokens: tokens, file: file, basePath: basePath)
        let expression = try parser.expression()
        guard case .end = parser.current.kind else { throw parser.unexpected() }
        return expression
    }

    private init(tokens: [NixToken], file: String, basePath: String) {
        self.tokens = tokens
        self.file = file
        self.fileID = NixFileTable.shared.id(of: file)
        self.basePath = basePath
        self.home = ProcessInfo.processInfo.environment["HOME"] ?? "/"
    }

    // MARK: Tokens

    private var current: NixToken { tokens[index] }
    private func peek(_ offset: Int) -> NixToken.Kind {
        let at = index + offset
        return at < tokens.count ? tokens[at].kind : .end
    }
    private var position: NixPosition { position(of: current) }
    private func position(of token: NixToken) -> NixPosition {
        NixPosition(fileID: fileID, line: token.line, column: token.column)
    }

    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func isCharacter(_ kind: NixToken.Kind, _ character: Character) -> Bool {
        if case .character(let byte) = kind { return byte == character.asciiValue! }
        return false
    }
    private func at(_ character: Character) -> Bool { isCharacter(current.kind, character) }
    private func atKeyword(_ keyword: String) -> Bool { current.kind == .keyword(keyword) }
    private func atOperator(_ op: String) -> Bool { current.kind == .operator(op) }

    private mutating func expect(_ character: Character) throws {
        guard at(character) else { throw unexpected(expecting: "'\(character)'") }
        advance()
    }
    private mutating func expectKeyword(_ keyword: String) throws {
        guard atKeyword(keyword) else { throw unexpected(expecting: "'\(keyword)'") }
        advance()
    }

    private func unexpected(expecting: String? = nil) -> NixSyntaxError {
        let found: String
        switch current.kind {
        case .end: found = "end of file"
        case .keyword(let word): found = "'\(word)'"
        case .identifier(let name): found = "identifier '\(name)'"
        case .integer(let value): found = "integer \(value)"
        case .float(let value): found = "float \(value)"
        case .operator(let op): found = "'\(op)'"
        case .character(let byte):
            found = byte < 0x80 ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        case .dollarCurly: found = "'${'"
        case .stringText, .indentedText: found = "string text"
        case .indentedOpen: found = "\"''\""
        case .indentedClose: found = "\"''\""
        case .path, .homePath, .pathText: found = "path"
        case .pathEnd: found = "end of path"
        case .searchPath: found = "search path"
        case .uri: found = "URI"
        }
        let message = "syntax error, unexpected \(found)" + (expecting.map { ", expecting \($0)" } ?? "")
        return NixSyntaxError(position: position, message: message)
    }

    private func error(_ message: String, at position: NixPosition) -> NixSyntaxError {
        NixSyntaxError(position: position, message: message)
    }

    private mutating func nested<T>(_ body: (inout NixParser) throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= NixParser.maximumDepth else {
            throw error("expression nested more than \(NixParser.maximumDepth) levels deep", at: position)
        }
        return try body(&self)
    }

    // MARK: Functions, let, with, assert, if

    mutating func expression() throws -> NixExpr {
        try nested { try $0.function() }
    }

    private mutating func function() throws -> NixExpr {
        let start = position
        switch current.kind {
        case .identifier(let name) where isCharacter(peek(1), ":"):
            advance()
            advance()
            let body = try expression()
            return .lambda(NixLambda(argument: name, formals: nil, ellipsis: false, body: body, position: start))
        case .identifier(let name) where isCharacter(peek(1), "@"):
            advance()
            advance()
            try expect("{")
            let (formals, ellipsis) = try self.formals()
            try expect(":")
            try checkFormals(formals, argument: name, at: start)
            let body = try expression()
            return .lambda(NixLambda(argument: name, formals: formals, ellipsis: ellipsis, body: body, position: start))
        case .character(UInt8(ascii: "{")) where startsFormals():
            advance()
            let (formals, ellipsis) = try self.formals()
            var argument: String?
            if at("@") {
                advance()
                guard case .identifier(let name) = current.kind else { throw unexpected(expecting: "identifier") }
                argument = name
                advance()
            }
            try expect(":")
            try checkFormals(formals, argument: argument, at: start)
            let body = try expression()
            return .lambda(
                NixLambda(argument: argument, formals: formals, ellipsis: ellipsis, body: body, position: start))
        case .keyword("assert"):
            advance()
            let condition = try expression()
            try expect(";")
            return .assert(condition, try expression(), start)
        case .keyword("with"):
            advance()
            let attrs = try expression()
            try expect(";")
            return .with(NixWith(attrs: attrs, body: try expression(), position: start))
        case .keyword("let") where !isCharacter(peek(1), "{"):
            advance()
            let bindings = try binds(closedBy: .keyword("in"))
            try expectKeyword("in")
            if let dynamic = bindings.dynamic.first {
                throw error("dynamic attributes not allowed in let", at: dynamic.position)
            }
            return .let(bindings, try expression())
        case .keyword("if"):
            advance()
            let condition = try expression()
            try expectKeyword("then")
            let then = try expression()
            try expectKeyword("else")
            return .if(condition, then: then, else: try expression(), start)
        default:
            return try operation(0)
        }
    }

    /// After `{`: a function's formals, not an attribute set? Decided as the GLR parser decides,
    /// by what follows: `}` then `:` or `@`, `...`, or a name followed by `,` `?` or `}` `:`/`@`.
    private func startsFormals() -> Bool {
        func closesFormals(_ offset: Int) -> Bool {
            isCharacter(peek(offset), "}") && (isCharacter(peek(offset + 1), ":") || isCharacter(peek(offset + 1), "@"))
        }
        switch peek(1) {
        case .operator("..."): return true
        case .character(UInt8(ascii: "}")): return closesFormals(1)
        case .identifier:
            return isCharacter(peek(2), ",") || isCharacter(peek(2), "?") || closesFormals(2)
        default: return false
        }
    }

    private mutating func formals() throws -> ([NixLambda.Formal], Bool) {
        var formals: [NixLambda.Formal] = []
        while true {
            if atOperator("...") {
                advance()
                try expect("}")
                return (formals, true)
            }
            if at("}") {
                advance()
                return (formals, false)
            }
            guard case .identifier(let name) = current.kind else { throw unexpected(expecting: "'}'") }
            let start = position
            advance()
            var defaultValue: NixExpr?
            if at("?") {
                advance()
                defaultValue = try expression()
            }
            formals.append(NixLambda.Formal(name: name, defaultValue: defaultValue, position: start))
            if at(",") {
                advance()
            } else {
                try expect("}")
                return (formals, false)
            }
        }
    }

    /// Nix reports the duplicate that sorts first (by name, then position).
    private func checkFormals(_ formals: [NixLambda.Formal], argument: String?, at start: NixPosition) throws {
        let sorted = formals.sorted {
            ($0.name, $0.position.line, $0.position.column) < ($1.name, $1.position.line, $1.position.column)
        }
        var duplicate: NixLambda.Formal?
        for (first, second) in zip(sorted, sorted.dropFirst()) where first.name == second.name {
            if duplicate == nil || first.name < duplicate!.name { duplicate = second }
        }
        if let duplicate {
            throw error("duplicate formal function argument '\(duplicate.name)'", at: duplicate.position)
        }
        if let argument, formals.contains(where: { $0.name == argument }) {
            throw error("duplicate formal function argument '\(argument)'", at: start)
        }
    }

    // MARK: Operators

    private enum Associativity { case left, right, none }

    /// Binary operators by precedence, lowest first, as parser.y's `%left`/`%right`/`%nonassoc`.
    private static func binary(_ kind: NixToken.Kind) -> (precedence: Int, Associativity)? {
        switch kind {
        case .operator("->"): return (1, .right)
        case .operator("||"): return (2, .left)
        case .operator("&&"): return (3, .left)
        case .operator("=="), .operator("!="): return (4, .none)
        case .character(UInt8(ascii: "<")), .character(UInt8(ascii: ">")), .operator("<="), .operator(">="):
            return (5, .none)
        case .operator("//"): return (6, .right)
        case .character(UInt8(ascii: "+")), .character(UInt8(ascii: "-")): return (8, .left)
        case .character(UInt8(ascii: "*")), .character(UInt8(ascii: "/")): return (9, .left)
        case .operator("++"): return (10, .right)
        case .character(UInt8(ascii: "?")): return (11, .none)
        default: return nil
        }
    }
    private static let notPrecedence = 7
    private static let negatePrecedence = 12

    private func call(_ function: String, _ arguments: [NixExpr], _ position: NixPosition) -> NixExpr {
        .call(.variable(function, position), arguments, position)
    }

    private mutating func operation(_ minimum: Int) throws -> NixExpr {
        try nested { try $0.operationNested(minimum) }
    }

    private mutating func operationNested(_ minimum: Int) throws -> NixExpr {
        let start = position
        var left: NixExpr
        if at("!") {
            advance()
            left = .not(try operation(NixParser.notPrecedence + 1), start)
        } else if at("-") {
            advance()
            left = call("__sub", [.int(0), try operation(NixParser.negatePrecedence + 1)], start)
        } else {
            left = try application()
        }
        var lastNonAssociative: Int?
        while let (precedence, associativity) = NixParser.binary(current.kind), precedence >= minimum {
            if lastNonAssociative == precedence { throw unexpected() }
            let op = current.kind
            advance()
            if precedence == 11 {
                left = .hasAttr(left, try attrPath(), start)
            } else {
                let right = try operation(associativity == .right ? precedence : precedence + 1)
                left = combine(op, left, right, start)
            }
            lastNonAssociative = associativity == .none ? precedence : nil
        }
        return left
    }

    private func combine(_ op: NixToken.Kind, _ left: NixExpr, _ right: NixExpr, _ start: NixPosition) -> NixExpr {
        switch op {
        case .operator("=="): return .binary(.equal, left, right, start)
        case .operator("!="): return .binary(.notEqual, left, right, start)
        case .operator("&&"): return .binary(.and, left, right, start)
        case .operator("||"): return .binary(.or, left, right, start)
        case .operator("->"): return .binary(.implication, left, right, start)
        case .operator("//"): return .binary(.update, left, right, start)
        case .operator("++"): return .binary(.concatLists, left, right, start)
        case .operator("<="): return .not(call("__lessThan", [right, left], start), start)
        case .operator(">="): return .not(call("__lessThan", [left, right], start), start)
        case .character(UInt8(ascii: "<")): return call("__lessThan", [left, right], start)
        case .character(UInt8(ascii: ">")): return call("__lessThan", [right, left], start)
        case .character(UInt8(ascii: "-")): return call("__sub", [left, right], start)
        case .character(UInt8(ascii: "*")): return call("__mul", [left, right], start)
        case .character(UInt8(ascii: "/")): return call("__div", [left, right], start)
        default:  // `+`
            return .concatStrings([(start, left), (start, right)], forceString: false, start)
        }
    }

    // MARK: Application and selection

    private func startsSimple(_ kind: NixToken.Kind, next: NixToken.Kind) -> Bool {
        switch kind {
        case .identifier, .integer, .float, .indentedOpen, .path, .homePath, .searchPath, .uri: return true
        case .character(let byte): return "\"([{".utf8.contains(byte)
        case .keyword("rec"): return true
        case .keyword("let"): return isCharacter(next, "{")
        default: return false
        }
    }

    private mutating func application() throws -> NixExpr {
        let start = position
        let function = try select()
        var arguments: [NixExpr] = []
        while startsSimple(current.kind, next: peek(1)) {
            arguments.append(try select())
        }
        guard !arguments.isEmpty else { return function }
        // As parser.y: arguments extend a call already made (`map or [ ]` is `map` of two).
        if case .call(let inner) = function {
            return .call(inner.function, inner.arguments + arguments, inner.position)
        }
        return .call(function, arguments, start)
    }

    private mutating func select() throws -> NixExpr {
        let start = position
        let simple = try self.simple()
        if at(".") {
            advance()
            let path = try attrPath()
            if atKeyword("or") {
                advance()
                return .select(simple, path, orDefault: try nested { try $0.select() }, start)
            }
            return .select(simple, path, orDefault: nil, start)
        }
        if atKeyword("or") {
            // Nixpkgs once had a function named `or`: `map or [...]` calls `map` with it.
            let orPosition = position
            advance()
            return .call(simple, [.variable("or", orPosition)], start)
        }
        return simple
    }

    private mutating func attrPath() throws -> [NixAttrName] {
        var path = [try attrName()]
        while at(".") {
            advance()
            path.append(try attrName())
        }
        return path
    }

    private mutating func attrName() throws -> NixAttrName {
        switch current.kind {
        case .identifier(let name):
            advance()
            return .name(name)
        case .keyword("or"):
            advance()
            return .name("or")
        case .character(UInt8(ascii: "\"")):
            let string = try self.string()
            if case .string(let text) = string { return .name(text.text) }
            return .dynamic(string)
        case .dollarCurly:
            return .dynamic(try interpolation())
        default:
            throw unexpected(expecting: "attribute name")
        }
    }

    // MARK: Simple expressions

    private mutating func simple() throws -> NixExpr {
        let start = position
        switch current.kind {
        case .identifier(let name):
            advance()
            return name == "__curPos" ? .currentPosition(start) : .variable(name, start)
        case .integer(let value):
            advance()
            return .int(Int(value))
        case .float(let value):
            advance()
            return .float(value)
        case .character(UInt8(ascii: "\"")):
            return try string()
        case .indentedOpen:
            return try indentedString()
        case .path(let text):
            advance()
            var path = NixParser.absolute(String(decoding: text, as: UTF8.self), from: basePath)
            if text.last == UInt8(ascii: "/") && text.count > 1 { path += "/" }
            return try pathRest(.path(path), start)
        case .homePath(let text):
            advance()
            return try pathRest(.path(home + String(decoding: text.dropFirst(), as: UTF8.self)), start)
        case .searchPath(let text):
            advance()
            let name = String(decoding: text.dropFirst().dropLast(), as: UTF8.self)
            return call("__findFile", [.variable("__nixPath", start), .string(name)], start)
        case .uri(let text):
            advance()
            return .string(String(decoding: text, as: UTF8.self))
        case .character(UInt8(ascii: "(")):
            advance()
            let inner = try expression()
            try expect(")")
            return inner
        case .keyword("let"):
            advance()
            try expect("{")
            let bindings = try binds(closedBy: .character(UInt8(ascii: "}")))
            try expect("}")
            bindings.recursive = true
            return .select(.attrs(bindings), [.name("body")], orDefault: nil, start)
        case .keyword("rec"):
            advance()
            try expect("{")
            let bindings = try binds(closedBy: .character(UInt8(ascii: "}")))
            try expect("}")
            bindings.recursive = true
            return .attrs(bindings)
        case .character(UInt8(ascii: "{")):
            advance()
            let bindings = try binds(closedBy: .character(UInt8(ascii: "}")))
            try expect("}")
            return .attrs(bindings)
        case .character(UInt8(ascii: "[")):
            advance()
            var elements: [NixExpr] = []
            while !at("]") {
                guard startsSimple(current.kind, next: peek(1)) else { throw unexpected(expecting: "']'") }
                elements.append(try nested { try $0.select() })
            }
            advance()
            return .list(elements)
        default:
            throw unexpected()
        }
    }

    /// The rest of a path after its first part: `${…}` and more text up to its end.
    private mutating func pathRest(_ first: NixExpr, _ start: NixPosition) throws -> NixExpr {
        var parts: [(NixPosition, NixExpr)] = [(start, first)]
        while true {
            let partStart = position
            switch current.kind {
            case .pathEnd:
                advance()
                return parts.count == 1 ? first : .concatStrings(parts, forceString: false, start)
            case .pathText(let text):
                advance()
                parts.append((partStart, .string(String(decoding: text, as: UTF8.self))))
            case .dollarCurly:
                parts.append((partStart, try interpolation()))
            default:
                throw unexpected()
            }
        }
    }

    /// `${ expression }`, from its `${`.
    private mutating func interpolation() throws -> NixExpr {
        advance()
        let inner = try expression()
        try expect("}")
        return inner
    }

    private mutating func string() throws -> NixExpr {
        let start = position
        try expect("\"")
        var parts: [(NixPosition, NixExpr)] = []
        while !at("\"") {
            let partStart = position
            switch current.kind {
            case .stringText(let text):
                advance()
                parts.append((partStart, .string(String(decoding: text, as: UTF8.self))))
            case .dollarCurly:
                parts.append((partStart, try interpolation()))
            default:
                throw unexpected(expecting: "'\"'")
            }
        }
        advance()
        if parts.isEmpty { return .string("") }
        if parts.count == 1, case .string = parts[0].1 { return parts[0].1 }
        return .concatStrings(parts, forceString: true, start)
    }

    private enum IndentedPart {
        case text([UInt8], raw: Bool)
        case expression(NixExpr)
    }

    private mutating func indentedString() throws -> NixExpr {
        let start = position
        advance()
        var parts: [(NixPosition, IndentedPart)] = []
        while true {
            let partStart = position
            switch current.kind {
            case .indentedClose:
                advance()
                return NixParser.stripIndentation(parts, start)
            case .indentedText(let text, let raw):
                advance()
                parts.append((partStart, .text(text, raw: raw)))
            case .dollarCurly:
                parts.append((partStart, .expression(try interpolation())))
            default:
                throw unexpected(expecting: "\"''\"")
            }
        }
    }

    /// parser.y's `stripIndentation`: the smallest indentation of the lines that are not blank is
    /// removed from each; a last line of only spaces is dropped.
    private static func stripIndentation(_ parts: [(NixPosition, IndentedPart)], _ start: NixPosition) -> NixExpr {
        if parts.isEmpty { return .string("") }
        let space = UInt8(ascii: " ")
        let newline = UInt8(ascii: "\n")
        var atStartOfLine = true
        var minimumIndent = Int.max
        var indent = 0
        for (_, part) in parts {
            guard case .text(let text, raw: true) = part else {
                if atStartOfLine {
                    atStartOfLine = false
                    minimumIndent = min(minimumIndent, indent)
                }
                continue
            }
            for byte in text {
                if atStartOfLine {
                    if byte == space {
                        indent += 1
                    } else if byte == newline {
                        indent = 0
                    } else {
                        atStartOfLine = false
                        minimumIndent = min(minimumIndent, indent)
                    }
                } else if byte == newline {
                    atStartOfLine = true
                    indent = 0
                }
            }
        }
        var result: [(NixPosition, NixExpr)] = []
        atStartOfLine = true
        var dropped = 0
        for (offset, (position, part)) in parts.enumerated() {
            switch part {
            case .expression(let expression):
                atStartOfLine = false
                dropped = 0
                result.append((position, expression))
            case .text(let text, _):
                var kept: [UInt8] = []
                for byte in text {
                    if atStartOfLine {
                        if byte == space {
                            if dropped >= minimumIndent { kept.append(byte) }
                            dropped += 1
                        } else if byte == newline {
                            dropped = 0
                            kept.append(byte)
                        } else {
                            atStartOfLine = false
                            dropped = 0
                            kept.append(byte)
                        }
                    } else {
                        kept.append(byte)
                        if byte == newline { atStartOfLine = true }
                    }
                }
                if offset == parts.count - 1, let lastNewline = kept.lastIndex(of: newline),
                    kept[(lastNewline + 1)...].allSatisfy({ $0 == space })
                {
                    kept.removeSubrange((lastNewline + 1)...)
                }
                result.append((position, .string(String(decoding: kept, as: UTF8.self))))
            }
        }
        if result.count == 1, case .string = result[0].1 { return result[0].1 }
        return .concatStrings(result, forceString: true, start)
    }

    // MARK: Bindings

    private mutating func binds(closedBy end: NixToken.Kind) throws -> NixAttrsExpr {
        let attrs = NixAttrsExpr(position: position)
        while current.kind != end {
            if atKeyword("inherit") {
                let inheritPosition = position
                advance()
                var source: NixExpr?
                if at("(") {
                    advance()
                    source = try expression()
                    try expect(")")
                }
                let namesPosition = position
                while !at(";") {
                    let namePosition = position
                    let name: String
                    switch try attrName() {
                    case .name(let plain): name = plain
                    case .dynamic: throw error("dynamic attributes not allowed in inherit", at: namePosition)
                    }
                    if let existing = attrs.definition(name) {
                        throw error(
                            "attribute '\(name)' already defined at \(attrs.definitions[existing].position)",
                            at: namesPosition)
                    }
                    let value: NixExpr =
                        source.map { .select($0, [.name(name)], orDefault: nil, inheritPosition) }
                        ?? .variable(name, namePosition)
                    attrs.define(name, .init(value: value, position: namesPosition, inherited: source == nil))
                }
                advance()
                continue
            }
            let pathPosition = position
            let path = try attrPath()
            try expect("=")
            let value = try expression()
            try expect(";")
            try add(path, value, to: attrs, at: pathPosition)
        }
        return attrs
    }

    /// parser.y's `addAttr`: `a.b.c = v` creates or extends nested sets; two set literals for one
    /// name are merged; anything else defined twice is an error.
    private func add(_ path: [NixAttrName], _ value: NixExpr, to root: NixAttrsExpr, at position: NixPosition)
        throws
    {
        var attrs = root
        for name in path.dropLast() {
            switch name {
            case .name(let name):
                if let existing = attrs.definition(name) {
                    let definition = attrs.definitions[existing]
                    guard !definition.inherited, case .attrs(let nested) = definition.value else {
                        throw duplicate(path, at: position, previous: definition.position)
                    }
                    attrs = nested.node
                } else {
                    let nested = NixAttrsExpr(position: position)
                    attrs.define(name, .init(value: .attrs(nested), position: position, inherited: false))
                    attrs = nested
                }
            case .dynamic(let name):
                let nested = NixAttrsExpr(position: position)
                attrs.addDynamic(.init(name: name, value: .attrs(nested), position: position))
                attrs = nested
            }
        }
        switch path.last! {
        case .name(let name):
            if let existing = attrs.definition(name) {
                let definition = attrs.definitions[existing]
                guard case .attrs(let target) = definition.value, case .attrs(let from) = value else {
                    throw duplicate(path, at: position, previous: definition.position)
                }
                let into = target.node
                for (name, definition) in zip(from.names, from.definitions) {
                    if let clash = into.definition(name) {
                        throw error(
                            "attribute '\(name)' already defined at \(definition.position)",
                            at: into.definitions[clash].position)
                    }
                    into.define(name, definition)
                }
                for dynamic in from.dynamic { into.addDynamic(dynamic) }
            } else {
                if case .lambda(let lambda) = value { lambda.node.named(name) }
                attrs.define(name, .init(value: value, position: position, inherited: false))
            }
        case .dynamic(let name):
            attrs.addDynamic(.init(name: name, value: value, position: position))
        }
    }

    private func duplicate(_ path: [NixAttrName], at position: NixPosition, previous: NixPosition) -> NixSyntaxError {
        error("attribute '\(NixParser.show(path))' already defined at \(previous)", at: position)
    }

    static func show(_ path: [NixAttrName]) -> String {
        path.map { name in
            if case .name(let text) = name { return text }
            return "\"${...}\""
        }.joined(separator: ".")
    }

    // MARK: Paths

    /// Nix's `absPath` then `canonPath`: relative to `base`, `.` and `..` resolved, no double or
    /// trailing slashes, links not followed.
    static func absolute(_ path: String, from base: String) -> String {
        let full = path.hasPrefix("/") ? path : base + "/" + path
        var parts: [Substring] = []
        for part in full.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
