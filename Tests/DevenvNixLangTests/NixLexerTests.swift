import DevenvNixLang
import Foundation
import TestSupport
import Testing

/// The lexer against what Nix 2.8's flex rules give (src/libexpr/lexer.l).
struct NixLexerTests {
    func kinds(_ source: String) throws -> [NixToken.Kind] {
        try NixLexer.tokens(of: Array(source.utf8)).map(\.kind).dropLast()
    }

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func theLongestRuleWinsAndKeywordsWinTies() throws {
        #expect(
            try kinds("if iffy or-else x' _a") == [
                .keyword("if"), .identifier("iffy"), .identifier("or-else"), .identifier("x'"), .identifier("_a"),
            ])
        // A path or a URI is longer than the number or name it starts with.
        #expect(try kinds("1/2") == [.path(bytes("1/2")), .pathEnd])
        #expect(try kinds("https://x.org/a?b=1") == [.uri(bytes("https://x.org/a?b=1"))])
        #expect(try kinds("a.b") == [.identifier("a"), .character(UInt8(ascii: ".")), .identifier("b")])
        #expect(
            try kinds("<nixpkgs/lib> x<y") == [
                .searchPath(bytes("<nixpkgs/lib>")), .identifier("x"), .character(UInt8(ascii: "<")), .identifier("y"),
            ])
        #expect(
            try kinds("a//b ++ c -> d ... != ==") == [
                .identifier("a"), .operator("//"), .identifier("b"), .operator("++"), .identifier("c"), .operator("->"),
                .identifier("d"), .operator("..."), .operator("!="), .operator("=="),
            ])
        // As in Nix, `-` goes on a name: `c->d` is `c-`, `>`, `d`.
        #expect(try kinds("c->d") == [.identifier("c-"), .character(UInt8(ascii: ">")), .identifier("d")])
    }

    @Test func numbersAreNixs() throws {
        #expect(
            try kinds("0 42 1.5 .5 0.25 1. 1e3 2.5E-2") == [
                .integer(0), .integer(42), .float(1.5), .float(0.5), .float(0.25), .float(1), .integer(1),
                .identifier("e3"), .float(0.025),
            ])
        #expect(throws: NixLexer.Failure(line: 1, column: 1, message: "invalid integer '99999999999999999999'")) {
            try kinds("99999999999999999999")
        }
    }

    @Test func stringsKeepTheirInterpolationsAndEscapes() throws {
        let quote = NixToken.Kind.character(UInt8(ascii: "\""))
        #expect(
            try kinds(#""a\n\t\"${x}$y$$""#) == [
                quote, .stringText(bytes("a\n\t\"")), .dollarCurly, .identifier("x"), .character(UInt8(ascii: "}")),
                .stringText(bytes("$y$$")), quote,
            ])
        // `{ }` inside `${ }` do not end it early.
        #expect(try kinds(#""${ { a = 1; }.a }""#).count == 12)
        // `\r\n` in a string is a line end.
        #expect(try kinds("\"a\r\nb\"")[1] == .stringText(bytes("a\nb")))
    }

    @Test func indentedStringsGiveRawTextAndEscapes() throws {
        // `''$` escapes the dollar (the brace after it is text), `'''` is two quotes, `''\n` a line end.
        #expect(
            try kinds("''\n  a ''${x} '''b ''\\n $ ${y}''") == [
                .indentedOpen, .indentedText(bytes("  a "), raw: true), .indentedText(bytes("$"), raw: false),
                .indentedText(bytes("{x} "), raw: true), .indentedText(bytes("''"), raw: false),
                .indentedText(bytes("b "), raw: true), .indentedText(bytes("\n"), raw: false),
                .indentedText(bytes(" $ "), raw: true), .dollarCurly, .identifier("y"), .character(UInt8(ascii: "}")),
                .indentedClose,
            ])
    }

    @Test func pathsAreInterpolatedAndEnded() throws {
        #expect(
            try kinds("./a/${x}.nix;") == [
                .path(bytes("./a/")), .dollarCurly, .identifier("x"), .character(UInt8(ascii: "}")),
                .pathText(bytes(".nix")), .pathEnd, .character(UInt8(ascii: ";")),
            ])
        #expect(
            try kinds("a/${b}") == [
                .path(bytes("a/")), .dollarCurly, .identifier("b"), .character(UInt8(ascii: "}")), .pathEnd,
            ])
        #expect(
            try kinds("~/.config ~/${d}") == [
                .homePath(bytes("~/.config")), .pathEnd, .homePath(bytes("~/")), .dollarCurly, .identifier("d"),
                .character(UInt8(ascii: "}")), .pathEnd,
            ])
        #expect(throws: NixLexer.Failure(line: 1, column: 4, message: "path has a trailing slash")) {
            try kinds("/a/ ")
        }
    }

    @Test func commentsAndWhitespaceAreSkippedAndPositionsCountBytes() throws {
        let tokens = try NixLexer.tokens(of: Array("# one\n/* two\r\n */ x\n  é=1".utf8))
        #expect(
            tokens.map(\.kind) == [
                .identifier("x"), .character(195), .character(169), .character(61), .integer(1), .end,
            ])
        #expect(tokens.map(\.line) == [3, 4, 4, 4, 4, 4])
        #expect(tokens.map(\.column) == [5, 3, 4, 5, 6, 7])
    }

    /// Random and mutated input ends, as tokens or an error, never a crash or a hang: every
    /// token but a path's end takes at least one byte.
    @Test func mutatedInputAlwaysEnds() throws {
        let seed =
            "let a = ./x/${b}/c; s = \"${t} \\\" $\"; i = ''\n  ${u} ''$ '''\n''; in <p/q> // { u = https://e/f; }"
        let alphabet = [
            "$", "{", "}", "\"", "'", "''", "\\", "/", "./", "~/", "<", ">", "#", "/*", "*/", "\r\n", "1.", "e9",
        ]
        for input in Fuzzing.mutations(of: seed, alphabet: alphabet, count: 200) {
            var lexer = NixLexer(input)
            var count = 0
            while count <= 2 * input.count + 2, let token = try? lexer.next(), token.kind != .end { count += 1 }
            #expect(count <= 2 * input.count + 2, "\(String(decoding: input, as: UTF8.self).debugDescription)")
        }
    }

    /// Every file of Nix's own language tests that Nix parses is split without an error (the
    /// others may fail here already, or in the parser). The suite is there once
    /// scripts/nix-lang-conformance has fetched it.
    @Test func nixsLanguageTestsLex() throws {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/nix-lang-tests/nix-2.8.0/tests/lang")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tests.path) else { return }
        for name in names.sorted() where name.hasSuffix(".nix") && name.contains("-okay-") {
            let source = try Data(contentsOf: tests.appendingPathComponent(name))
            #expect(throws: Never.self, "\(name)") { _ = try NixLexer.tokens(of: Array(source)) }
        }
    }
}
