import Foundation
import TestSupport
import Testing

@testable import DevenvNixLang

/// The parser and evaluator against Nix 2.8 itself: the same expressions given to the real
/// `nix-instantiate` and to devenv's must print the same, parse (`--parse`) and value
/// (`--eval --strict`) alike; and the errors devenv reports where Nix does.
struct NixEvaluatorTests {
    /// Precedence, associativity and desugaring, as Nix prints the parsed expression.
    static let parsed = [
        "1 + 2 * 3 - 4 / 5", "a: b: a.b.c or d", "!a && b || c -> d", "-x ++ y ++ z", "a // b // c",
        "a < b == (c >= d)", "x ? y.z", "{ a, b ? 1, ... }@args: a", "args@{ a }: a", "f x y (g z)",
        "let x = 1; in x", "with s; assert x; if a then b else c", "rec { a = 1; b = a; inherit c; }",
        "{ a.b = 1; a.c = 2; \"d e\" = 3; ${x} = 4; }", "[ 1 2.5 \"s${t}u\" ./p/q <nixpkgs/lib> https://x.org/y ]",
        "''\n  a\n    b ${c}\n  ''", "map or [ ]", "__curPos", "inherit (x) a b", "x.\"y\".${z}",
    ]

    @Test(arguments: parsed) func parsesAsNix(_ source: String) throws {
        // Under a `with`, free variables are no error for either.
        let expression = "with { }; " + (source == "inherit (x) a b" ? "{ inherit (x) a b; }" : source)
        let nix = try Nix.instantiate(["--parse", "-E", expression], in: "/tmp")
        #expect(nix.status == 0, "\(nix.stderr)")
        // The parsed code belongs to an arena, as an evaluator's does.
        let arena = NixArena()
        let mine = try arena.enter {
            "\(try NixParser.parse(Array(expression.utf8), file: "(string)", basePath: "/tmp"))"
        }
        #expect(mine == nix.output, "\(expression)")
    }

    /// Laziness, scoping, recursion, strings, numbers and builtins, valued as Nix values them.
    static let valued = [
        "let x = { a = 1; b = x.a + 1; }; in x", "let f = { a ? b, b ? 2 }: a + b; in [ (f {}) (f { b = 5; }) ]",
        "with { a = 1; }; with { a = 2; b = a; }; [ a b ]", "let a = 3; in with { a = 1; }; a",
        "rec { a = b; b = 1; } // { c = 2; }", "[ (1 / 2) (1.0 / 2) (7 - 10) (-3 / 2) (2 * 3.5) ]",
        "[ 1.5 1.0e20 0.1 100000.0 1234567.0 (0.0 / 1) 3.0e-7 ]", "\"a\\nb\\t\\\"c\\\" \\${d} $e\"",
        "''\n    x\n      y ''${z} '''\n  ''", "builtins.toJSON { b = [ 1 \"x\" null true ]; a = 1.5; }",
        "builtins.fromJSON ''{\"x\": [1, 2.5, \"\\u00e9\", {\"y\": null}]}''",
        "builtins.match \"([a-z]+)-([0-9.]+)\" \"hello-2.10\"", "builtins.split \"(,)|;\" \"a,b;c\"",
        "builtins.replaceStrings [ \"a\" \"\" ] [ \"A\" \"_\" ] \"banana\"",
        "map (builtins.compareVersions \"1.2.3\") [ \"1.2\" \"1.2.3\" \"1.10\" \"1.2pre1\" ]",
        "builtins.sort builtins.lessThan [ 3 1 2 10 ]", "builtins.sort (a: b: a > b) [ \"b\" \"a\" \"c\" ]",
        "builtins.genList (x: x * x) 5", "builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 1000)",
        "builtins.listToAttrs [ { name = \"a\"; value = 1; } { name = \"a\"; value = 2; } ]",
        "builtins.attrNames { b = 1; a = 2; \"A\" = 3; _x = 4; }", "let s = { a = 1; }; in [ s s [ s ] ]",
        "builtins.tryEval (throw \"x\")", "builtins.tryEval (assert false; 1)", "builtins.typeOf (x: x)",
        "builtins.functionArgs ({ a, b ? 1 }: a)", "builtins.parseDrvName \"hello-world-2.1-rc1\"",
        "builtins.splitVersion \"1.2.3pre4-x\"", "builtins.substring 2 3 \"abcdefg\"",
        "toString [ 1 [ ] 2.5 null true false \"s\" ]", "builtins.concatStringsSep \"-\" [ \"a\" \"b\" ]",
        "builtins.hashString \"sha256\" \"abc\"", "builtins.intersectAttrs { a = 1; } { a = 2; b = 3; }",
        "builtins.groupBy (x: if x > 2 then \"big\" else \"small\") [ 1 2 3 4 ]",
        "builtins.mapAttrs (n: v: n + v) { a = \"1\"; b = \"2\"; }", "({ __functor = s: x: x + s.n; n = 1; }) 2",
        "builtins.genericClosure { startSet = [ { key = 1; } ]; operator = x: if x.key < 5 then [ { key = x.key + 1; } ] else [ ]; }",
        "builtins.seq (x: x) 1", "[ (1 == 1.0) ([ 1 ] == [ 1 ]) ({ a = 1; } == { a = 1; }) ((x: x) == (x: x)) ]",
        "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 5000",
        "let x = { a = { a = 1; b = x.a.a; }; }; in [ x.a.a x.a x.a.b ]",
        // Closures keep the environments of calls that are over, which must then not be reused.
        "let f = x: y: x; g = f 1; in [ (g 2) (f 3 4) (g 5) (f 6 7) ]",
        "map (f: f 10) (builtins.foldl' (acc: x: acc ++ [ (y: x + y) ]) [ ] [ 1 2 3 ])",
        "(derivation { name = \"x\"; builder = \"/bin/sh\"; system = \"x86_64-linux\"; }).drvPath",
    ]

    @Test(arguments: valued) func valuesAsNix(_ source: String) throws {
        let nix = try Nix.instantiate(["--eval", "--strict", "-E", source], in: "/tmp")
        #expect(nix.status == 0, "\(nix.stderr)")
        #expect(try evaluateNix(source) == nix.output, "\(source)")
    }

    /// What Nix refuses, devenv refuses, at the same place, without crashing.
    @Test func errorsAreWhereNixSaysTheyAre() throws {
        #expect(nixFailure("let x = x + 1; in x")?.contains("infinite recursion encountered") == true)
        #expect(nixFailure("let x = x; in x") == "(string):1:9: infinite recursion encountered")
        #expect(nixFailure("let x = 1; in y") == "(string):1:15: undefined variable 'y'")
        #expect(
            nixFailure("{ a = 1; a = 2; }")?.hasPrefix("(string):1:10: attribute 'a' already defined at (string):1:3")
                == true)
        #expect(nixFailure("{ a, a }: a")?.hasPrefix("(string):1:6: duplicate formal function argument 'a'") == true)
        #expect(nixFailure("1 +") == "(string):1:4: syntax error, unexpected end of file")
        #expect(nixFailure("a == b == c")?.contains("syntax error") == true)
        #expect(nixFailure("({ a }: a) { a = 1; b = 1; }")?.contains("called with unexpected argument 'b'") == true)
        #expect(nixFailure("({ a }: a) { }")?.contains("called without required argument 'a'") == true)
        #expect(nixFailure("{ a = 1; }.b")?.hasPrefix("(string):1:1: attribute 'b' missing") == true)
        #expect(nixFailure("1 + \"a\"")?.contains("cannot add a string to an integer") == true)
        #expect(nixFailure("builtins.elemAt [ ] 0")?.contains("out of bounds") == true)
        #expect(
            nixFailure("abort \"no\"")?.contains("evaluation aborted with the following error message: 'no'") == true)
        #expect(nixFailure("let f = x: f x; in f 1")?.contains("stack overflow") == true)
        #expect(nixFailure("1 / 0")?.contains("division by zero") == true)
        #expect(nixFailure("\"${{ }}\"")?.contains("cannot coerce a set to a string") == true)
    }

    /// Nix's own programs, mutated a byte range at a time (removed, repeated, or a byte replaced
    /// by punctuation; digits never repeated, so that no mutation asks for a list of 10^10
    /// elements), evaluated completely: each ends, with a value or an error. The suite is there
    /// once scripts/nix-lang-conformance has fetched it (scripts/test does, first).
    @Test func mutatedSuiteProgramsEnd() throws {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/nix-lang-tests/nix-2.8.0/tests/lang")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tests.path) else { return }
        // The same mutations every run: a random one can make a program that never ends, as Nix's
        // own would not (an infinite list forced deep took all 24 GiB of a test machine once).
        var generator = SeededRandom(seed: 7)
        let punctuation = Array("{}[]();:=.,?@\"'$".utf8)
        for name in names.sorted() where name.hasSuffix(".nix") && name.hasPrefix("eval-okay-") {
            let original = Array(try Data(contentsOf: tests.appendingPathComponent(name)))
            for _ in 0..<10 where !original.isEmpty {
                var source = original
                let start = Int.random(in: 0..<source.count, using: &generator)
                let end = min(source.count, start + Int.random(in: 1...8, using: &generator))
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: source.removeSubrange(start..<end)
                case 1 where !source[start..<end].contains(where: { (48...57).contains($0) }):
                    source.insert(contentsOf: source[start..<end], at: end)
                default: source[start] = punctuation.randomElement(using: &generator)!
                }
                let evaluator = try NixEvaluator()
                _ = try? NixEvaluator.onLargeStack {
                    let value = try evaluator.evaluate(
                        try evaluator.parse(source, file: tests.path + "/" + name, basePath: tests.path))
                    try evaluator.forceDeep(value)
                    return NixPrinter.print(value)
                }
            }
        }
    }

    /// Random and mutated text: the parser and the scope check always end, with a value or an
    /// error, never a crash or a hang; nesting beyond the parser's bound is an error.
    @Test func hostileSourceAlwaysEnds() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(nixFailure(deep)?.contains("nested more than") == true)
        let deepSet = String(repeating: "{a=", count: 50_000) + "1" + String(repeating: ";}", count: 50_000)
        #expect(nixFailure(deepSet)?.contains("nested more than") == true)
        var generator = SystemRandomNumberGenerator()
        let pieces = [
            "{", "}", "[", "]", "(", ")", "let", "in", "rec", "with", "inherit", "=", ";", ":", "@", "?", ".", ",",
            "x", "a.b", "\"s${", "''", "${", "./p", "<n>", "1", "2.5", "+", "-", "//", "++", "==", "or", "if",
            "then", "else", "assert", "...", "#c\n", "/*", "*/", " ",
        ]
        for _ in 0..<2000 {
            let source = (0..<Int.random(in: 1...30, using: &generator)).map { _ in
                pieces.randomElement(using: &generator)!
            }.joined(separator: " ")
            let evaluator = try NixEvaluator()
            _ = try? evaluator.parse(Array(source.utf8), file: "(fuzz)", basePath: "/tmp")
        }
    }
}
