import Foundation
import Testing

@testable import DevenvNixLang

/// `toJSON`, `fromJSON`, `toXML` and `fromTOML` against Nix 2.8: its language tests
/// (tests/lang/eval-okay-*) and outputs of the real `nix-instantiate --eval --strict`.
struct NixBuiltinsSerializationTests {
    @Test func toJSONWritesAsNix() throws {
        #expect(
            try evaluateNix(
                #"""
                builtins.toJSON
                  { a = 123;
                    b = builtins.fromJSON "-456";
                    c = "foo";
                    d = "foo\n\"bar\"";
                    e = true;
                    f = false;
                    g = [ 1 2 3 ];
                    h = [ "a" [ "b" { "foo\nbar" = {}; } ] ];
                    i = 1 + 2;
                    j = 1.44;
                    k = { __toString = self: self.a; a = "foo"; };
                  }
                """#) == #"""
                    "{\"a\":123,\"b\":-456,\"c\":\"foo\",\"d\":\"foo\\n\\\"bar\\\"\",\"e\":true,\"f\":false,\"g\":[1,2,3],\"h\":[\"a\",[\"b\",{\"foo\\nbar\":{}}]],\"i\":3,\"j\":1.44,\"k\":\"foo\"}"
                    """#)
        #expect(
            try evaluateNix("builtins.toJSON [1.0 0.1 1.0e20 1.5e-7 123456789.0]")
                == #""[1,0.1,1e+20,1.5e-07,1.23457e+08]""#)
        #expect(try evaluateNix(#"builtins.toJSON { __toString = s: ./foo; }"#) == #""\"/tmp/foo\"""#)
        #expect(try evaluateNix(#"builtins.toJSON { a = { outPath = "x"; }; }"#) == #""{\"a\":\"x\"}""#)
        #expect(nixFailure("builtins.toJSON (x: x)")?.contains("cannot convert a function to JSON") == true)
    }

    @Test func fromJSONReadsAsNlohmann() throws {
        #expect(
            try evaluateNix(
                #"""
                # This string contains all supported escapes in a JSON string, per json.org
                # \b and \f are not supported by Nix
                builtins.fromJSON ''"quote \" reverse solidus \\ solidus \/ backspace \b formfeed \f newline \n carriage return \r horizontal tab \t 1 char unicode encoded backspace \u0008 1 char unicode encoded e with accent \u00e9 2 char unicode encoded s with caron \u0161 3 char unicode encoded rightwards arrow \u2192"''
                """#) == #"""
                    "quote \" reverse solidus \\ solidus / backspace \#u{8} formfeed \#u{c} newline \n carriage return \r horizontal tab \t 1 char unicode encoded backspace \#u{8} 1 char unicode encoded e with accent é 2 char unicode encoded s with caron š 3 char unicode encoded rightwards arrow →"
                    """#)
        #expect(
            try evaluateNix(#"builtins.fromJSON "{\"a\":[1,2.5e3,true,null,\"\\u00e9\\n\"],\"a\":2}""#) == "{ a = 2; }")
        #expect(
            try evaluateNix(#"builtins.fromJSON "[1,2.5e3,true,null,\"\\u00e9\\n\", {}]""#)
                == #"[ 1 2500 true null "é\n" { } ]"#)
        #expect(try evaluateNix(#"builtins.fromJSON "9223372036854775808""#) == "-9223372036854775808")
        #expect(try evaluateNix(#"builtins.fromJSON "18446744073709551616""#) == "1.84467e+19")
        #expect(try evaluateNix(#"builtins.fromJSON " -0 ""#) == "0")
        #expect(
            nixFailure(#"builtins.fromJSON "tru""#)?.contains(
                "[json.exception.parse_error.101] parse error at line 1, column 4: syntax error while parsing value - invalid literal; last read: 'tru'"
            ) == true)
        #expect(
            nixFailure(#"builtins.fromJSON "[1,]""#)?.contains(
                "parse error at line 1, column 4: syntax error while parsing value - unexpected ']'; expected '[', '{', or a literal"
            ) == true)
        #expect(nixFailure(#"builtins.fromJSON """#)?.contains("unexpected end of input") == true)
        #expect(nixFailure(#"builtins.fromJSON "1 2""#)?.contains("column 3") == true)
        #expect(nixFailure(#"builtins.fromJSON "01""#) != nil)
        #expect(nixFailure(#"builtins.fromJSON "\"\\ud800\"""#)?.contains("surrogate") == true)
        #expect(nixFailure(#"builtins.fromJSON "1e400""#)?.contains("number overflow parsing '1e400'") == true)
        #expect(nixFailure(#"builtins.fromJSON "{\"a\" 1}""#) != nil)
        #expect(nixFailure(#"builtins.fromJSON "[\"a\n\"]""#)?.contains("control character") == true)
    }

    @Test func fromJSONBoundsNesting() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(nixFailure("builtins.fromJSON \"\(deep)\"")?.contains("JSON nesting is too deep") == true)
        let fine = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(nixFailure("builtins.fromJSON \"\(fine)\"") == nil)
    }

    /// A large document reads completely (its speed is bench/nix-eval.sh's to measure).
    @Test func fromJSONReadsALargeDocument() throws {
        var json = "["
        for index in 0..<20_000 {
            if index > 0 { json += "," }
            json += #"{\"name\":\"item\#(index)\",\"size\":\#(index),\"ratio\":0.5,\"tags\":[\"a\",\"b\"]}"#
        }
        json += "]"
        let source =
            "let l = builtins.fromJSON \"\(json)\"; in [ (builtins.length l) (builtins.elemAt l 19999).name (builtins.elemAt l 7).size ]"
        #expect(try evaluateNix(source) == "[ 20000 \"item19999\" 7 ]")
    }

    @Test func toXMLAndTheXMLPrinterWriteNixsBytes() throws {
        #expect(
            try evaluateNix(
                #"""
                builtins.toXML [("a" + "b") 10 (rec {x = "x"; y = x;})]
                """#) == #"""
                    "<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <list>\n    <string value=\"ab\" />\n    <int value=\"10\" />\n    <attrs>\n      <attr name=\"x\">\n        <string value=\"x\" />\n      </attr>\n      <attr name=\"y\">\n        <string value=\"x\" />\n      </attr>\n    </attrs>\n  </list>\n</expr>\n"
                    """#)
        let evaluator = try NixEvaluator()
        let value = try evaluator.evaluate(
            try evaluator.parse(
                Array(
                    #"""
                    rec {

                      x = 123;

                      y = 567.890;

                      a = "foo";

                      b = "bar";

                      c = "foo" + "bar";

                      f = {z, x, y}: if y then x else z;

                      id = x: x;

                      at = args@{x, y, z}: x;

                      ellipsis = {x, y, z, ...}: x;

                    }
                    """#.utf8), file: "(string)", basePath: "/tmp"))
        #expect(
            try evaluator.xml(value) == #"""
                <?xml version='1.0' encoding='utf-8'?>
                <expr>
                  <attrs>
                    <attr name="a">
                      <string value="foo" />
                    </attr>
                    <attr name="at">
                      <function>
                        <attrspat name="args">
                          <attr name="x" />
                          <attr name="y" />
                          <attr name="z" />
                        </attrspat>
                      </function>
                    </attr>
                    <attr name="b">
                      <string value="bar" />
                    </attr>
                    <attr name="c">
                      <string value="foobar" />
                    </attr>
                    <attr name="ellipsis">
                      <function>
                        <attrspat ellipsis="1">
                          <attr name="x" />
                          <attr name="y" />
                          <attr name="z" />
                        </attrspat>
                      </function>
                    </attr>
                    <attr name="f">
                      <function>
                        <attrspat>
                          <attr name="x" />
                          <attr name="y" />
                          <attr name="z" />
                        </attrspat>
                      </function>
                    </attr>
                    <attr name="id">
                      <function>
                        <varpat name="x" />
                      </function>
                    </attr>
                    <attr name="x">
                      <int value="123" />
                    </attr>
                    <attr name="y">
                      <float value="567.89" />
                    </attr>
                  </attrs>
                </expr>
                """# + "\n")
        #expect(
            try evaluateNix(
                #"builtins.toXML { a = "x\n<&>\""; f = { x, y ? 1, ... }@z: x; h = builtins.toXML; i = 1.5; j = null; }"#
            )
                == #""<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <attrs>\n    <attr name=\"a\">\n      <string value=\"x&#xA;&lt;&amp;&gt;&quot;\" />\n    </attr>\n    <attr name=\"f\">\n      <function>\n        <attrspat ellipsis=\"1\" name=\"z\">\n          <attr name=\"x\" />\n          <attr name=\"y\" />\n        </attrspat>\n      </function>\n    </attr>\n    <attr name=\"h\">\n      <unevaluated />\n    </attr>\n    <attr name=\"i\">\n      <float value=\"1.5\" />\n    </attr>\n    <attr name=\"j\">\n      <null />\n    </attr>\n  </attrs>\n</expr>\n""#
        )
    }

    /// What TOMLKit's parser asserts on is refused before it sees it (found by mutating Nix's
    /// own TOML test): a table header opened by a comment, a backslash, deep nesting.
    @Test func fromTOMLRefusesWhatWouldCrashItsParser() throws {
        #expect(
            nixFailure("builtins.fromTOML \"[ #x = 1\\n\"")?.contains("a table header must start with a key") == true)
        #expect(nixFailure("builtins.fromTOML \"[\\\\\"") != nil)
        let deep = String(repeating: "[", count: 10_000)
        #expect(nixFailure("builtins.fromTOML \"a = \(deep)\"")?.contains("while parsing a TOML string") == true)
    }

    @Test func fromTOMLReadsNixsTestDocument() throws {
        #expect(
            try evaluateNix(
                #"""
                [

                  (builtins.fromTOML ''
                    # This is a TOML document.

                    title = "TOML Example"

                    [owner]
                    name = "Tom Preston-Werner"
                    #dob = 1979-05-27T07:32:00-08:00 # First class dates

                    [database]
                    server = "192.168.1.1"
                    ports = [ 8001, 8001, 8002 ]
                    connection_max = 5000
                    enabled = true

                    [servers]

                      # Indentation (tabs and/or spaces) is allowed but not required
                      [servers.alpha]
                      ip = "10.0.0.1"
                      dc = "eqdc10"

                      [servers.beta]
                      ip = "10.0.0.2"
                      dc = "eqdc10"

                    [clients]
                    data = [ ["gamma", "delta"], [1, 2] ]

                    # Line breaks are OK when inside arrays
                    hosts = [
                      "alpha",
                      "omega"
                    ]
                  '')

                  (builtins.fromTOML ''
                    key = "value"
                    bare_key = "value"
                    bare-key = "value"
                    1234 = "value"

                    "127.0.0.1" = "value"
                    "character encoding" = "value"
                    "ʎǝʞ" = "value"
                    'key2' = "value"
                    'quoted "value"' = "value"

                    name = "Orange"

                    physical.color = "orange"
                    physical.shape = "round"
                    site."google.com" = true

                    # This is legal according to the spec, but cpptoml doesn't handle it.
                    #a.b.c = 1
                    #a.d = 2

                    str = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF."

                    int1 = +99
                    int2 = 42
                    int3 = 0
                    int4 = -17
                    int5 = 1_000
                    int6 = 5_349_221
                    int7 = 1_2_3_4_5

                    hex1 = 0xDEADBEEF
                    hex2 = 0xdeadbeef
                    hex3 = 0xdead_beef

                    oct1 = 0o01234567
                    oct2 = 0o755

                    bin1 = 0b11010110

                    flt1 = +1.0
                    flt2 = 3.1415
                    flt3 = -0.01
                    flt4 = 5e+22
                    flt5 = 1e6
                    flt6 = -2E-2
                    flt7 = 6.626e-34
                    flt8 = 9_224_617.445_991_228_313

                    bool1 = true
                    bool2 = false

                    # FIXME: not supported because Nix doesn't have a date/time type.
                    #odt1 = 1979-05-27T07:32:00Z
                    #odt2 = 1979-05-27T00:32:00-07:00
                    #odt3 = 1979-05-27T00:32:00.999999-07:00
                    #odt4 = 1979-05-27 07:32:00Z
                    #ldt1 = 1979-05-27T07:32:00
                    #ldt2 = 1979-05-27T00:32:00.999999
                    #ld1 = 1979-05-27
                    #lt1 = 07:32:00
                    #lt2 = 00:32:00.999999

                    arr1 = [ 1, 2, 3 ]
                    arr2 = [ "red", "yellow", "green" ]
                    arr3 = [ [ 1, 2 ], [3, 4, 5] ]
                    arr4 = [ "all", 'strings', """are the same""", ''''type'''']
                    arr5 = [ [ 1, 2 ], ["a", "b", "c"] ]

                    arr7 = [
                      1, 2, 3
                    ]

                    arr8 = [
                      1,
                      2, # this is ok
                    ]

                    [table-1]
                    key1 = "some string"
                    key2 = 123


                    [table-2]
                    key1 = "another string"
                    key2 = 456

                    [dog."tater.man"]
                    type.name = "pug"

                    [a.b.c]
                    [ d.e.f ]
                    [ g .  h  . i ]
                    [ j . "ʞ" . 'l' ]
                    [x.y.z.w]

                    name = { first = "Tom", last = "Preston-Werner" }
                    point = { x = 1, y = 2 }
                    animal = { type.name = "pug" }

                    [[products]]
                    name = "Hammer"
                    sku = 738594937

                    [[products]]

                    [[products]]
                    name = "Nail"
                    sku = 284758393
                    color = "gray"

                    [[fruit]]
                      name = "apple"

                      [fruit.physical]
                        color = "red"
                        shape = "round"

                      [[fruit.variety]]
                        name = "red delicious"

                      [[fruit.variety]]
                        name = "granny smith"

                    [[fruit]]
                      name = "banana"

                      [[fruit.variety]]
                        name = "plantain"
                  '')

                  (builtins.fromTOML ''
                    [[package]]
                    name = "aho-corasick"
                    version = "0.6.4"
                    source = "registry+https://github.com/rust-lang/crates.io-index"
                    dependencies = [
                     "memchr 2.0.1 (registry+https://github.com/rust-lang/crates.io-index)",
                    ]

                    [[package]]
                    name = "ansi_term"
                    version = "0.9.0"
                    source = "registry+https://github.com/rust-lang/crates.io-index"

                    [[package]]
                    name = "atty"
                    version = "0.2.10"
                    source = "registry+https://github.com/rust-lang/crates.io-index"
                    dependencies = [
                     "libc 0.2.42 (registry+https://github.com/rust-lang/crates.io-index)",
                     "termion 1.5.1 (registry+https://github.com/rust-lang/crates.io-index)",
                     "winapi 0.3.5 (registry+https://github.com/rust-lang/crates.io-index)",
                    ]

                    [metadata]
                    "checksum aho-corasick 0.6.4 (registry+https://github.com/rust-lang/crates.io-index)" = "d6531d44de723825aa81398a6415283229725a00fa30713812ab9323faa82fc4"
                    "checksum ansi_term 0.11.0 (registry+https://github.com/rust-lang/crates.io-index)" = "ee49baf6cb617b853aa8d93bf420db2383fab46d314482ca2803b40d5fde979b"
                    "checksum ansi_term 0.9.0 (registry+https://github.com/rust-lang/crates.io-index)" = "23ac7c30002a5accbf7e8987d0632fa6de155b7c3d39d0067317a391e00a2ef6"
                    "checksum arrayvec 0.4.7 (registry+https://github.com/rust-lang/crates.io-index)" = "a1e964f9e24d588183fcb43503abda40d288c8657dfc27311516ce2f05675aef"
                  '')

                  (builtins.fromTOML ''
                    a = [[{ b = true }]]
                    c = [ [ { d = true } ] ]
                    e = [[123]]
                  '')

                ]
                """#) == #"""
                    [ { clients = { data = [ [ "gamma" "delta" ] [ 1 2 ] ]; hosts = [ "alpha" "omega" ]; }; database = { connection_max = 5000; enabled = true; ports = [ 8001 8001 8002 ]; server = "192.168.1.1"; }; owner = { name = "Tom Preston-Werner"; }; servers = { alpha = { dc = "eqdc10"; ip = "10.0.0.1"; }; beta = { dc = "eqdc10"; ip = "10.0.0.2"; }; }; title = "TOML Example"; } { "1234" = "value"; "127.0.0.1" = "value"; a = { b = { c = { }; }; }; arr1 = [ 1 2 3 ]; arr2 = [ "red" "yellow" "green" ]; arr3 = [ [ 1 2 ] [ 3 4 5 ] ]; arr4 = [ "all" "strings" "are the same" "type" ]; arr5 = [ [ 1 2 ] [ "a" "b" "c" ] ]; arr7 = [ 1 2 3 ]; arr8 = [ 1 2 ]; bare-key = "value"; bare_key = "value"; bin1 = 214; bool1 = true; bool2 = false; "character encoding" = "value"; d = { e = { f = { }; }; }; dog = { "tater.man" = { type = { name = "pug"; }; }; }; flt1 = 1; flt2 = 3.1415; flt3 = -0.01; flt4 = 5e+22; flt5 = 1e+06; flt6 = -0.02; flt7 = 6.626e-34; flt8 = 9.22462e+06; fruit = [ { name = "apple"; physical = { color = "red"; shape = "round"; }; variety = [ { name = "red delicious"; } { name = "granny smith"; } ]; } { name = "banana"; variety = [ { name = "plantain"; } ]; } ]; g = { h = { i = { }; }; }; hex1 = 3735928559; hex2 = 3735928559; hex3 = 3735928559; int1 = 99; int2 = 42; int3 = 0; int4 = -17; int5 = 1000; int6 = 5349221; int7 = 12345; j = { "ʞ" = { l = { }; }; }; key = "value"; key2 = "value"; name = "Orange"; oct1 = 342391; oct2 = 493; physical = { color = "orange"; shape = "round"; }; products = [ { name = "Hammer"; sku = 738594937; } { } { color = "gray"; name = "Nail"; sku = 284758393; } ]; "quoted \"value\"" = "value"; site = { "google.com" = true; }; str = "I'm a string. \"You can quote me\". Name\tJosé\nLocation\tSF."; table-1 = { key1 = "some string"; key2 = 123; }; table-2 = { key1 = "another string"; key2 = 456; }; x = { y = { z = { w = { animal = { type = { name = "pug"; }; }; name = { first = "Tom"; last = "Preston-Werner"; }; point = { x = 1; y = 2; }; }; }; }; }; "ʎǝʞ" = "value"; } { metadata = { "checksum aho-corasick 0.6.4 (registry+https://github.com/rust-lang/crates.io-index)" = "d6531d44de723825aa81398a6415283229725a00fa30713812ab9323faa82fc4"; "checksum ansi_term 0.11.0 (registry+https://github.com/rust-lang/crates.io-index)" = "ee49baf6cb617b853aa8d93bf420db2383fab46d314482ca2803b40d5fde979b"; "checksum ansi_term 0.9.0 (registry+https://github.com/rust-lang/crates.io-index)" = "23ac7c30002a5accbf7e8987d0632fa6de155b7c3d39d0067317a391e00a2ef6"; "checksum arrayvec 0.4.7 (registry+https://github.com/rust-lang/crates.io-index)" = "a1e964f9e24d588183fcb43503abda40d288c8657dfc27311516ce2f05675aef"; }; package = [ { dependencies = [ "memchr 2.0.1 (registry+https://github.com/rust-lang/crates.io-index)" ]; name = "aho-corasick"; source = "registry+https://github.com/rust-lang/crates.io-index"; version = "0.6.4"; } { name = "ansi_term"; source = "registry+https://github.com/rust-lang/crates.io-index"; version = "0.9.0"; } { dependencies = [ "libc 0.2.42 (registry+https://github.com/rust-lang/crates.io-index)" "termion 1.5.1 (registry+https://github.com/rust-lang/crates.io-index)" "winapi 0.3.5 (registry+https://github.com/rust-lang/crates.io-index)" ]; name = "atty"; source = "registry+https://github.com/rust-lang/crates.io-index"; version = "0.2.10"; } ]; } { a = [ [ { b = true; } ] ]; c = [ [ { d = true; } ] ]; e = [ [ 123 ] ]; } ]
                    """#)
        #expect(
            nixFailure(#"builtins.fromTOML "a = 1979-05-27""#)?.contains("Dates and times are not supported") == true)
        #expect(nixFailure(#"builtins.fromTOML "a = = 1""#)?.contains("while parsing a TOML string") == true)
        #expect(nixFailure(#"builtins.fromTOML "[a]\n[a]""#) != nil)
    }
}
