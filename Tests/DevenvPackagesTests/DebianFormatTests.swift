import DevenvPackages
import Foundation
import TestSupport
import Testing

/// Debian's version order, relations and control files, compared with dpkg itself where it
/// defines the answer.
struct DebianFormatTests {
    static let versions = [
        "1.0", "1.0-1", "1.0-1+b1", "1.0~rc1", "1.0~rc1-1", "1.0+dfsg", "1.0.1", "1.01", "1:0.9", "0:1.0", "2.0a",
        "2.0", "2.0~~", "2.0~", "1.0-0", "10", "9.9", "1.0-1~bpo12+1", "3.11.2-6+deb12u8", "3.13.5-2+deb13u5",
        "2:1.0", "1.a", "1.A", "1.+", "1.0-a",
    ]

    @Test func versionsSortAsDpkgSortsThem() throws {
        let parsed = Self.versions.map { DebianVersion($0)! }
        // dpkg --compare-versions for every pair, in one process.
        var script = ""
        for a in Self.versions {
            for b in Self.versions {
                script +=
                    "if dpkg --compare-versions '\(a)' lt '\(b)'; then echo '<'; elif dpkg --compare-versions '\(a)' eq '\(b)'; then echo '='; else echo '>'; fi\n"
            }
        }
        let answers = try runCommand("/bin/sh", ["-c", script]).output.split(separator: "\n")
        var index = 0
        for a in parsed {
            for b in parsed {
                let expected = answers[index]
                let ours = a < b ? "<" : a == b ? "=" : ">"
                #expect(ours == expected, "\(a) vs \(b)")
                index += 1
            }
        }
        #expect(Set([DebianVersion("1.01")!, DebianVersion("1.1")!, DebianVersion("0:1.1")!]).count == 1)
        for bad in ["", "a1", "1:", "x:1", "1.0 beta", "1_0", "1.-"] { #expect(DebianVersion(bad) == nil, "\(bad)") }
    }

    @Test func relationsAreGroupsOfAlternatives() throws {
        let groups = try #require(
            DebianDependency.parse("libc6 (>= 2.39), libgcc-s1 (>= 4.2) | libgcc1, python3:any, foo (<< 2:1.0~)"))
        #expect(
            groups.map { $0.map(\.description) } == [
                ["libc6 (>= 2.39)"], ["libgcc-s1 (>= 4.2)", "libgcc1"], ["python3:any"], ["foo (<< 2:1.0~)"],
            ])
        #expect(groups[0][0].admits(DebianVersion("2.41-12")))
        #expect(!groups[0][0].admits(DebianVersion("2.36-9")))
        #expect(!groups[0][0].admits(nil))
        #expect(groups[2][0].admits(nil))
        // Empty groups and alternatives are skipped, continuation lines are blanks.
        #expect(
            DebianDependency.parse(" , libc6,\n zlib1g||libz ,, ")?.map { $0.map(\.description) } == [
                ["libc6"], ["zlib1g", "libz"],
            ])
        #expect(DebianDependency.parse("")?.isEmpty == true)
        for bad in [
            "libc6 (>= )", "libc6 (~ 1)", "Libc6", "a", "libc6 [amd64]", "libc6 (>= 1) x", "libc6 | ,",
            "libc6, |zlib1g",
            "libc6 | , zlib1g", "libc6 (<< 1", "libc6 >> 1)",
        ] {
            #expect(DebianDependency.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func controlFilesAreStanzasOfFields() throws {
        let text = """
            Package: ripgrep
            Version: 14.1.1-1+b4
            Description: fast search
             second line
             .
             third

            package: jq
            Depends: libjq1 (= 1.7.1-6), libc6
            """
        let stanzas = try DebianStanza.parse(text, file: "Packages")
        #expect(stanzas.count == 2)
        #expect(stanzas[0]["version"] == "14.1.1-1+b4")
        #expect(stanzas[0]["Description"] == "fast search\nsecond line\n.\nthird")
        #expect(stanzas[1]["Package"] == "jq")
        #expect(throws: PackageError("Packages:1: a continuation line before any field")) {
            try DebianStanza.parse(" x\n", file: "Packages")
        }
        #expect(throws: PackageError("Packages:2: not a `Field: value` line")) {
            try DebianStanza.parse("A: b\nnonsense\n", file: "Packages")
        }
    }

    @Test func debiansRealReleaseIsRead() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let message = try String(
            contentsOf: repository.appendingPathComponent("Tests/Fixtures/debian/trixie-InRelease"), encoding: .utf8)
        let text = message.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")
            .components(separatedBy: "\n-----BEGIN PGP SIGNATURE-----")[0]
        let release = try DebianRelease(text: text, file: "InRelease")
        #expect(release.suite == "stable" && release.codename == "trixie")
        #expect(release.acquireByHash && !release.allIsSeparate && release.validUntil == nil)
        #expect(release.architectures.contains("arm64") && release.components.first == "main")
        #expect(
            release.files["main/binary-amd64/Packages.xz"]?.sha256.count == 64
                && release.files["main/binary-amd64/Packages.xz"]?.size == 9_679_304)
        try release.check(at: Date(timeIntervalSince1970: 1_796_000_000), file: "InRelease")
        #expect(throws: PackageError.self) {
            try release.check(at: Date(timeIntervalSince1970: 1_700_000_000), file: "InRelease")
        }
    }
}
