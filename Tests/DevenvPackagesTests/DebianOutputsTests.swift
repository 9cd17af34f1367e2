import DevenvBuild
import DevenvPackages
import Testing

/// A closure of Debian packages as derivations: one output per source package, cycles merged,
/// dependencies first.
struct DebianOutputsTests {
    func outputs(_ packages: [(String, String, [String: String])], closureOf names: [String]) throws
        -> DebianOutputs
    {
        let resolver = try DebianResolverTests().resolver(packages)
        return try DebianOutputs(
            closure: try resolver.closure(names), resolver: resolver, mirror: "https://deb.example.org/debian",
            system: "x86_64-linux")
    }

    @Test func packagesOfOneSourceShareAnOutputAndDependenciesComeFirst() throws {
        let outputs = try outputs(
            [
                ("python3.13", "3.13.5-2", ["Depends": "libpython3.13-stdlib (= 3.13.5-2), libc6"]),
                ("libpython3.13-stdlib", "3.13.5-2", ["Source": "python3.13", "Depends": "libc6, libssl3"]),
                ("libssl3", "3.5.1-1", ["Source": "openssl", "Depends": "libc6"]),
                ("libc6", "2.41-12", ["Source": "glibc"]),
            ], closureOf: ["python3.13"])
        #expect(
            outputs.groups.map { $0.map(\.name) } == [["libc6"], ["libssl3"], ["libpython3.13-stdlib", "python3.13"]])
        let python = try #require(outputs.derivation(of: "libpython3.13-stdlib"))
        #expect(outputs.derivation(of: "python3.13") == python)
        #expect(
            python.name == "python3.13" && python.version == "3.13.5-2"
                && python.relocation == Derivation.currentRelocation)
        #expect(python.dependencies.map(\.name) == ["glibc", "openssl"])
        #expect(
            python.sources.map(\.url) == [
                "https://deb.example.org/debian/pool/main/libpython3.13-stdlib_3.13.5-2_amd64.deb",
                "https://deb.example.org/debian/pool/main/python3.13_3.13.5-2_amd64.deb",
            ])
        #expect(outputs.derivation(of: "libssl3")?.dependencies.map(\.name) == ["glibc"])
        #expect(outputs.derivation(of: "nothing") == nil)
    }

    @Test func aStoreVersionGivesBackDebiansVersion() {
        for version in ["1:2.47.3-0+deb13u1", "1.0~rc1-1", "12:1.0~rc1+b2", "3.13.5-1"] {
            let store = DebianOutputs.storeVersion(DebianVersion(version)!)
            #expect(!store.contains(":") && !store.contains("~"))
            #expect(DebianOutputs.debianVersion(ofStoreVersion: store) == version)
        }
    }

    @Test func aDependencyCycleBecomesOneOutput() throws {
        let outputs = try outputs(
            [
                ("perl", "5.40.1-6", ["Depends": "perl-base, libperl5.40"]),
                ("perl-base", "5.40.1-6", ["Source": "perl", "Depends": "libc6"]),
                ("libperl5.40", "5.40.1-6", ["Source": "perl", "Depends": "libdb"]),
                ("libdb", "5.3-9", ["Depends": "helper"]),
                ("helper", "1:2.0~rc1-1", ["Depends": "perl-base, libc6"]),
                ("libc6", "2.41-12", ["Source": "glibc"]),
            ], closureOf: ["perl"])
        #expect(
            outputs.groups.map { $0.map(\.name) } == [
                ["libc6"], ["helper", "libdb", "libperl5.40", "perl", "perl-base"],
            ])
        let merged = try #require(outputs.derivation(of: "helper"))
        #expect(merged.name == "helper+libdb+perl" && merged.version == "1_2.0_rc1-1")
        #expect(merged.dependencies.map(\.name) == ["glibc"])
    }
}
