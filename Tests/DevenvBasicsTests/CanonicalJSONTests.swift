import DevenvBasics
import Testing

struct CanonicalJSONTests {
    func failure(_ text: String) -> String? {
        do {
            _ = try CanonicalJSON(parsing: text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func stringsWithAndWithoutEscapesReadAsWritten() throws {
        let cases: [(text: String, value: String)] = [
            (#""""#, ""),
            (#""plain /nix/store path""#, "plain /nix/store path"),
            (#""\"quoted\"""#, "\"quoted\""),
            (#""a\\b\/c""#, "a\\b/c"),
            (#""line\nnext\ttab\rret\bbs\fff""#, "line\nnext\ttab\rret\u{8}bs\u{C}ff"),
            (#""é raw, \u00e9 escaped""#, "é raw, é escaped"),
            (#""\ud83d\ude00 after""#, "😀 after"),
            (#""before \u0001""#, "before \u{1}"),
        ]
        for (text, value) in cases {
            #expect(try CanonicalJSON(parsing: text) == .string(value), "\(text)")
        }
    }

    @Test func writingEscapesOnlyWhatMustBeAndSortsKeysByTheirBytes() throws {
        let value = CanonicalJSON.object([
            "z": .string("no escape: é 😀 /"), "é": .string("\"q\" \\ \n\r\t\u{1}\u{1F}"), "B": .integer(-7),
            "a": .array([.bool(true), .bool(false), .null, .string("")]),
        ])
        let text = value.serialized
        #expect(
            text
                == #"{"B":-7,"a":[true,false,null,""],"z":"no escape: é 😀 /","é":"\"q\" \\ \n\r\t\u0001\u001f"}"#)
        #expect(try CanonicalJSON(parsing: text) == value)
        #expect(try CanonicalJSON(parsing: value.pretty) == value)
        #expect(value.pretty.hasPrefix("{\n  \"B\": -7,\n  \"a\": [\n    true,\n"))
    }

    @Test func malformedTextIsAnErrorAtItsByte() {
        #expect(failure(#"{"a" 1}"#) == "invalid JSON at byte 5: expected :")
        #expect(failure(#"{"a": tru}"#) == "invalid JSON at byte 6: expected true")
        #expect(failure(#"["a""#) == "invalid JSON at byte 4: expected ]")
        #expect(failure(#""open"#) == "invalid JSON at byte 5: unterminated string")
        #expect(failure("\"a\u{1}b\"") == "invalid JSON at byte 2: a control character in a string must be escaped")
        #expect(failure(#""\u12"#) == "invalid JSON at byte 3: expected four hex digits")
        // A high surrogate must be followed by a low one (a devenv.lock or flake.lock may say anything).
        #expect(failure(#""\ud800\u0041""#)?.hasSuffix("invalid surrogate pair") == true)
        #expect(failure(#"{} x"#) == "invalid JSON at byte 3: trailing characters")
        #expect(
            failure(String(repeating: "[", count: 300)) == "invalid JSON at byte 256: nested deeper than 256 levels")
    }
}
