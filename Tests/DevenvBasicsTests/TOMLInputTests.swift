import DevenvBasics
import Foundation
import TestSupport
import Testing

struct TOMLInputTests {
    func failure(_ text: String) -> String? {
        do {
            _ = try TOMLDocument(file: "f.toml", text: text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func nestingBeyondTheLimitIsAnErrorAtItsPlace() {
        let parts = Array(repeating: "a", count: 50_000).joined(separator: ".")
        #expect(failure("[shell]\n\(parts) = 1\n") == "f.toml:2:1: nested deeper than 128 levels")
        #expect(failure("x = 1\n[\(parts)]\n") == "f.toml:2:1: nested deeper than 128 levels")
        let arrays = String(repeating: "[", count: 60_000) + String(repeating: "]", count: 60_000)
        #expect(failure("x = \(arrays)\n") == "f.toml:1:133: nested deeper than 128 levels")
        let tables = String(repeating: "{ a = ", count: 60_000) + "1" + String(repeating: " }", count: 60_000)
        #expect(failure("x = \(tables)")?.hasPrefix("f.toml:1:") == true)
        // Keys under a header and inside inline tables add up.
        let half = Array(repeating: "b", count: 70).joined(separator: ".")
        #expect(failure("[\(half)]\nc = { \(half) = 1 }\n")?.hasSuffix("nested deeper than 128 levels") == true)
        // A header TOMLKit's parser would not check (it assumes a key follows the bracket).
        #expect(failure("a = 1\n[\\") == "f.toml:2:2: a table header must start with a key")
        #expect(failure("[[ \n") == "f.toml:1:4: a table header must start with a key")
        // What real files nest is far below.
        #expect(failure("[a.b.c]\nd.e = { f = [[1, 2], [3]], g = { h = 'x.y.z' } }\n") == nil)
        let deepButAllowed = Array(repeating: "k", count: 100).joined(separator: ".")
        #expect(failure("\(deepButAllowed) = 1\n") == nil)
        // Dots and brackets inside strings and comments are no nesting.
        let quoted = String(repeating: ".[{", count: 10_000)
        #expect(failure("a = \"\(quoted)\"\nb = '\(quoted)'\nc = '''\n\(quoted)\n'''\n# \(quoted)\n") == nil)
    }

    @Test func bytesThatAreNotTOMLAreErrorsAtTheirPlace() throws {
        #expect(
            failure("a = 1\nb = \"x\u{0}\"\nhook = 'rm -rf ~'\n") == "f.toml:2:7: a NUL byte is not allowed in TOML")
        let invalid = Data("a = 1\nb = \"é".utf8) + Data([0xFF]) + Data("\"\n".utf8)
        #expect(throws: TOMLError("f.toml:2:7: invalid UTF-8 (byte 0xFF); TOML files must be UTF-8")) {
            try TOMLInputCheck.text(of: invalid, file: "f.toml")
        }
        #expect(try TOMLInputCheck.text(of: Data("a = \"é\"\n".utf8), file: "f.toml") == "a = \"é\"\n")
    }
}
