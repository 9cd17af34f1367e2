import DevenvBasics
import DevenvBuild
import DevenvStore
import Testing

@testable import DevenvProject

/// devenv.lock in process: its text, identity, relocation and what changed between two.
struct LockfileTests {
    static let store = StoreDirectory("/nix/store")

    static func package(_ name: String, _ version: String, request: String? = nil, narHash: String? = nil) throws
        -> LockedPackage
    {
        let derivation = Derivation(
            name: name, version: version, system: "x86_64-linux", sources: [], script: "mkdir $out")
        return LockedPackage(
            request: request ?? name, input: "pkgs", derivation: derivation,
            outPath: store.fullPath(of: try derivation.outputPath(in: store)), narHash: narHash,
            environment: ["TOOL_HOME": "$out"])
    }

    static func lock(_ packages: [LockedPackage], rev: String = String(repeating: "a", count: 40)) -> Lockfile {
        Lockfile(
            manifestHash: "00", storeDirectory: store.path,
            inputs: [
                "pkgs": LockedInput(spec: "builtin", type: "builtin"),
                "team": LockedInput(
                    spec: "git+https://example.org/t", type: "git", url: "https://example.org/t", rev: rev,
                    narHash: "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", lastModified: 1),
            ],
            shells: ["default": ["x86_64-linux": packages]])
    }

    @Test func aLockReadsBackToItselfByteForByte() throws {
        let lock = Self.lock([
            try Self.package("tool", "1.0", narHash: "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        ])
        let read = try Lockfile(parsing: lock.text)
        #expect(read == lock)
        #expect(read.text == lock.text)
        #expect(lock.text.hasSuffix("}\n") && lock.text.contains("\n  \"version\": 2\n"))
    }

    @Test func relocationAndLinksAreReadBackAndCheckedAsDataFromARepository() throws {
        var package = try Self.package("tool", "1.0")
        package.derivation.relocation = Derivation.currentRelocation
        package.derivation.links = ["usr/bin/cc": "/usr/bin/gcc"]
        package.outPath = Self.store.fullPath(of: try package.derivation.outputPath(in: Self.store))
        let lock = Self.lock([package])
        #expect(try Lockfile(parsing: lock.text) == lock)
        #expect(lock.text.contains("\"relocate\": \(Derivation.currentRelocation)"))
        for (from, to, message) in [
            (
                "\"relocate\": \(Derivation.currentRelocation)", "\"relocate\": 99",
                "must be true or a relocation from 1 to"
            ),
            ("\"usr/bin/cc\":", "\"../../cc\":", "is not a path inside the output and a target"),
            ("\"/usr/bin/gcc\"", "\"/usr/bin/$(id)\"", "is not a path inside the output and a target"),
        ] {
            let error = #expect(throws: ProjectError.self) {
                try Lockfile(parsing: lock.text.replacingOccurrences(of: from, with: to))
            }
            #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        }
    }

    @Test func theIdentityLeavesOutWhatUsingAndTheMachineAdd() throws {
        let plain = Self.lock([try Self.package("tool", "1.0")])
        let hashed = Self.lock([
            try Self.package("tool", "1.0", narHash: "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        ])
        let elsewhere = try plain.relocated(to: StoreDirectory("/home/me/store"))
        #expect(elsewhere.shells["default"]!["x86_64-linux"]![0].outPath.hasPrefix("/home/me/store/"))
        #expect(Lockfile.identity(ofText: plain.text) == Lockfile.identity(ofText: hashed.text))
        #expect(Lockfile.identity(ofText: plain.text) == Lockfile.identity(ofText: elsewhere.text))
        let other = Self.lock([try Self.package("tool", "1.1")])
        #expect(Lockfile.identity(ofText: plain.text) != Lockfile.identity(ofText: other.text))
    }

    @Test func changesAreOneLineEach() throws {
        let old = Self.lock([try Self.package("go_1_24", "1.24.3"), try Self.package("ruff", "0.17.6")])
        let new = Self.lock(
            [try Self.package("go_1_24", "1.24.11"), try Self.package("nodejs_24", "24.19.0")],
            rev: String(repeating: "b", count: 40))
        #expect(
            LockChanges.describe(from: old, to: new, system: "x86_64-linux") == [
                "input team: aaaaaaa → bbbbbbb", "go_1_24 1.24.3 → 1.24.11", "+ nodejs_24 24.19.0", "- ruff 0.17.6",
            ])
        #expect(LockChanges.describe(from: new, to: new, system: "x86_64-linux") == [])
    }

    @Test func pathsBecomeFileNamesReversibly() {
        for path in ["/src/app", "/x/a%b", "/x/a/b", "/with space/%2F"] {
            let name = PathAsFileName.encode(path)
            #expect(!name.contains("/"))
            #expect(PathAsFileName.decode(name) == path)
        }
        #expect(PathAsFileName.encode("/x/a%b") != PathAsFileName.encode("/x/a/b"))
        #expect(PathAsFileName.decode("not-encoded") == nil)
    }
}
