import DevenvPackages
import Testing

/// The closure of Debian packages, as apt would install them, from an index the test writes.
struct DebianResolverTests {
    /// A resolver over Packages stanzas written as `name version [Field: value]...`.
    func resolver(_ packages: [(String, String, [String: String])]) throws -> DebianResolver {
        let text = packages.map { name, version, fields -> String in
            let extra = fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\n" }.joined()
            return """
                Package: \(name)
                Version: \(version)
                Architecture: amd64
                Filename: pool/main/\(name)_\(version)_amd64.deb
                Size: 1
                SHA256: \(String(repeating: "0", count: 64))
                \(extra)
                """
        }.joined(separator: "\n")
        let binaries = try DebianStanza.parse(text, file: "Packages").map {
            try DebianBinary(stanza: $0, file: "Packages")
        }
        return DebianResolver(binaries, suite: "test")
    }

    func names(_ binaries: [DebianBinary]) -> [String] { binaries.map { "\($0.name) \($0.version)" } }

    @Test func dependenciesAreFollowedThroughVersionsAlternativesAndProviders() throws {
        let resolver = try resolver([
            (
                "app", "1.0",
                ["Depends": "libfoo (>= 2), missing | fallback, mail-transport-agent", "Recommends": "extra"]
            ),
            ("libfoo", "1.5", [:]),
            ("libfoo", "2.1", ["Pre-Depends": "libc6"]),
            ("libc6", "2.36", [:]),
            ("fallback", "3", [:]),
            ("postfix", "3.7", ["Provides": "mail-transport-agent"]),
            ("extra", "1", [:]),
        ])
        #expect(
            names(try resolver.closure(["app"])) == [
                "app 1.0", "fallback 3", "libc6 2.36", "libfoo 2.1", "postfix 3.7",
            ])
    }

    @Test func somethingChosenAlreadySatisfiesAGroup() throws {
        let resolver = try resolver([
            ("aa", "1", ["Depends": "mawk | gawk"]),
            ("bb", "1", ["Depends": "gawk"]),
            ("mawk", "1", [:]),
            ("gawk", "1", [:]),
        ])
        // bb's gawk satisfies aa's group, so mawk is not pulled in as well.
        #expect(names(try resolver.closure(["bb", "aa"])) == ["aa 1", "bb 1", "gawk 1"])
    }

    @Test func aCycleEnds() throws {
        let resolver = try resolver([("xx", "1", ["Depends": "yy"]), ("yy", "1", ["Depends": "xx"])])
        #expect(names(try resolver.closure(["xx"])) == ["xx 1", "yy 1"])
    }

    @Test func aLongChainNeedsNoDeepRecursion() throws {
        let count = 20_000
        let resolver = try resolver(
            (0..<count).map { ("p\($0)", "1", $0 + 1 < count ? ["Depends": "p\($0 + 1)"] : [:]) })
        #expect(try resolver.closure(["p0"]).count == count)
    }

    @Test func whatCannotBeSatisfiedNamesTheChain() throws {
        let resolver = try resolver([
            ("app", "1", ["Depends": "lib"]),
            ("lib", "1", ["Depends": "base (>= 3) | other"]),
            ("base", "2", [:]),
        ])
        #expect(throws: PackageError.self) { try resolver.closure(["nothing"]) }
        do {
            _ = try resolver.closure(["app"])
            Issue.record("an unsatisfiable dependency was accepted")
        } catch let error as PackageError {
            #expect(
                error.description
                    == "cannot satisfy 'base (>= 3) | other' of lib ← app in the Debian suite test (it has base 2)")
        }
    }

    @Test func conflictsInsideTheClosureAreRefused() throws {
        let resolver = try resolver([
            ("app", "1", ["Depends": "aa, bb"]),
            ("aa", "1", ["Conflicts": "bb (<< 2)"]),
            ("bb", "1", [:]),
            ("mta-one", "1", ["Provides": "mta", "Conflicts": "mta"]),
            ("mta-two", "1", ["Provides": "mta", "Breaks": "mta"]),
        ])
        #expect(throws: PackageError.self) { try resolver.closure(["app"]) }
        // Conflicting with a virtual package one provides itself is Debian's "only one of these".
        #expect(names(try resolver.closure(["mta-one"])) == ["mta-one 1"])
        #expect(throws: PackageError.self) { try resolver.closure(["mta-one", "mta-two"]) }
    }
}
