import DevenvPackages
import Testing

/// The closure of Debian packages, as apt would install them, from an index the test writes.
struct DebianResolverTests {
    /// Packages stanzas written as `name version [Field: value]...`, of `suite`.
    func binaries(_ packages: [(String, String, [String: String])], suite: String = "test") throws -> [DebianBinary] {
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
        return try DebianStanza.parse(text, file: "Packages").map {
            try DebianBinary(stanza: $0, file: "Packages", suite: suite)
        }
    }

    /// A resolver over one suite's stanzas.
    func resolver(_ packages: [(String, String, [String: String])]) throws -> DebianResolver {
        DebianResolver(try binaries(packages), suite: "test")
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

    /// Installed sizes (KiB) as the index gives them; one no package could have is unknown (0),
    /// so that a closure's add up.
    @Test func installedSizesBeyondAnyPackageAreUnknown() throws {
        let sizes = try binaries([
            ("aa", "1", ["Installed-Size": "120"]), ("bb", "1", ["Installed-Size": "9223372036854775807"]),
            ("cc", "1", ["Installed-Size": "-5"]), ("dd", "1", [:]),
        ]).map(\.installedSize)
        #expect(sizes == [120, 0, 0, 0])
    }

    /// A `Source:` that names nothing is an error of the index, not a crash.
    @Test func anEmptySourceIsRefused() throws {
        #expect(throws: PackageError.self) { try binaries([("aa", "1", ["Source": ""])]) }
        #expect(try binaries([("aa", "1", ["Source": "bb (2)"])]).first?.source == "bb")
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

    @Test func backportsAreTakenForWhatIsAskedAndForWhatOnlyTheyCanSatisfy() throws {
        let base = try binaries(
            [
                ("libc6", "2.36", [:]),
                ("tool", "1.0", ["Depends": "libc6"]),
                ("libyaml", "1.0", [:]),
                ("libjson", "1.0", [:]),
            ], suite: "stable")
        let backports = try binaries(
            [
                ("tool", "2.0~bpo1", ["Depends": "libc6 (>= 2.34), libyaml, libjson (>= 2)"]),
                ("libyaml", "2.0~bpo1", [:]),
                ("libjson", "2.0~bpo1", [:]),
                ("only-new", "1.0~bpo1", [:]),
            ], suite: "stable-backports")
        let resolver = DebianResolver(
            base + backports, suite: "stable-backports", priorities: ["stable": 500, "stable-backports": 100])
        // The tool from backports; libyaml from stable, whose priority is higher although
        // backports' is newer; libjson from backports, the only one that satisfies (>= 2).
        let closure = try resolver.closure(["tool"])
        #expect(names(closure) == ["libc6 2.36", "libjson 2.0~bpo1", "libyaml 1.0", "tool 2.0~bpo1"])
        #expect(closure.map(\.suite) == ["stable", "stable-backports", "stable", "stable-backports"])
        // Resolved in the base suite itself, backports have nothing to do with it.
        let stable = DebianResolver(base, suite: "stable")
        #expect(names(try stable.closure(["tool"])) == ["libc6 2.36", "tool 1.0"])
        // What only the base suite has is taken from it when asked for.
        #expect(resolver.binary("libc6")?.suite == "stable")
        #expect(resolver.binary("only-new")?.suite == "stable-backports")
    }

    @Test func backportsAndUpdatesAreResolvedWithTheirRelease() {
        #expect(DebianSource.baseSuites(of: "bookworm-backports") == ["bookworm"])
        #expect(DebianSource.baseSuites(of: "bookworm-backports-sloppy") == ["bookworm-backports", "bookworm"])
        #expect(DebianSource.baseSuites(of: "trixie-updates") == ["trixie"])
        #expect(DebianSource.baseSuites(of: "trixie-proposed-updates") == ["trixie"])
        #expect(DebianSource.baseSuites(of: "trixie").isEmpty && DebianSource.baseSuites(of: "-backports").isEmpty)
    }
}
