import DevenvStore
import Testing

/// Store path vectors of docs/nix-formats.md §3, each produced by a real Nix command.
struct StorePathTests {
    let nix = StoreDirectory("/nix/store")
    let narANarHash = try! Hash(parsing: "sha256:dfea91d9bbee52e8a510e8a43a1f79c068d94647f91c447cf2dbe104843ef55f")
    let singleNarHash = try! Hash(parsing: "sha256:1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13")
    let singleFlat = try! Hash(parsing: "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")

    @Test func sourcePathsMatchNixStoreAdd() throws {
        #expect(
            try nix.path(for: .fixed(recursive: true, hash: narANarHash), name: "narA").baseName
                == "ikiifxrnjzkm8b336gkxxrqk1s8shnip-narA")
        #expect(
            try nix.path(for: .fixed(recursive: true, hash: singleNarHash), name: "single.txt").baseName
                == "3pc7hb0hqzcfgkc3k2097aj7wbyvl382-single.txt")
        #expect(
            try nix.path(for: .fixed(recursive: true, hash: narANarHash), name: "other-name").baseName
                == "fgw6hzhq5jiqjg9bpkia1rg15xqyw87b-other-name")
    }

    @Test func fixedOutputPathsMatchNixStoreAddFixed() throws {
        #expect(
            try nix.path(for: .fixed(recursive: false, hash: singleFlat), name: "single.txt").baseName
                == "f9j2652hq6jqn96qaz70pr1qyccs3d66-single.txt")
        let sha1 = try Hash(parsing: "sha1:f572d396fae9206628714fb2ce00f72e94f2258f")
        #expect(
            try nix.path(for: .fixed(recursive: false, hash: sha1), name: "single.txt").baseName
                == "3qp766gzb8avvhzd2adiapa08y8c1n0y-single.txt")
        let narASha1 = try Hash(parsing: "sha1:c02c05a1b394ca3cdb7d671db29b8b1bc7859ee5")
        #expect(
            try nix.path(for: .fixed(recursive: true, hash: narASha1), name: "narA").baseName
                == "kcx6z5zci0brq9z0xcjxszmgx0dfx0cq-narA")
        let md5 = try Hash(parsing: "md5:b1946ac92492d2347c6235b4d2611184")
        #expect(
            try nix.path(for: .fixed(recursive: false, hash: md5), name: "single.txt").baseName
                == "b04qb88igshhqimdf7nj1prxalha708y-single.txt")
        let sha512 = Hasher.hash(.sha512, Array("hello\n".utf8))
        #expect(
            try nix.path(for: .fixed(recursive: false, hash: sha512), name: "single.txt").baseName
                == "13abd8x2cmaxy8dshg1865bjzq7l46ya-single.txt")
    }

    @Test func textPathsMatchBuiltinsToFile() throws {
        let greeting = try nix.path(for: .text(hash: singleFlat), name: "greeting.txt")
        #expect(greeting.baseName == "7pd01133yha2s6wji4ab7vh7pp1905a1-greeting.txt")
        let contents = Hasher.hash(.sha256, Array("see /nix/store/\(greeting.baseName)\n".utf8))
        #expect(contents.base16 == "1b3f3db0f44f9089714791becb50e5293fd97d6eaec79e32a503beb4180a4f0a")
        #expect(
            try nix.path(for: .text(hash: contents), name: "ref.txt", references: [greeting]).baseName
                == "3g5nw29va1m1irhs9q215vzm6w23fmsc-ref.txt")
    }

    @Test func outputPathsMatchInstantiatedDerivations() throws {
        let modulo = try Hash(parsing: "sha256:e7efb4d7d9380d6a90a5ff9cfe309abba060ee1e2b8954090e02b00bd9309795")
        #expect(
            try nix.outputPath(derivationHash: modulo, output: "out", derivationName: "main").baseName
                == "d1zr5kplxg5r89v1426yx4wgg5nlqw36-main")
        #expect(
            try nix.outputPath(derivationHash: modulo, output: "dev", derivationName: "main").baseName
                == "jpg0gis7fhrbnyx6hjv4xr3g23sx2rib-main-dev")
        #expect(
            try nix.path(for: .fixed(recursive: false, hash: singleFlat), name: "fod").baseName
                == "rcz8aqa9lzcygdcn1q53xz03vc3svrcp-fod")
    }

    @Test func contentAddressesPrintAsNixDoes() throws {
        #expect(
            ContentAddress.fixed(recursive: true, hash: narANarHash).description
                == "fixed:r:sha256:0pzm7s209qfvy9y4877r8x3djs60g4gkm97822jyhlpfpgcr3snz")
        #expect(
            try ContentAddress(parsing: "fixed:r:sha256:0pzm7s209qfvy9y4877r8x3djs60g4gkm97822jyhlpfpgcr3snz")
                == .fixed(recursive: true, hash: narANarHash))
        #expect(
            try ContentAddress(parsing: "text:\(singleFlat.formatted(.nix32, prefixed: true))")
                == .text(hash: singleFlat))
        // A text file is addressed by its SHA-256 alone, as Nix has it; another hash is refused
        // (a cache's narinfo says it), not computed with.
        #expect(throws: StoreError.self) {
            try ContentAddress(parsing: "text:sha1:" + String(repeating: "0", count: 32))
        }
        #expect(
            try ContentAddress(parsing: "fixed:sha1:" + String(repeating: "0", count: 32)).description.hasPrefix(
                "fixed:sha1:"))
    }

    @Test func theStoreDirectoryChangesEveryHash() throws {
        let other = StoreDirectory("/home/u/.local/share/devenv/store/")
        #expect(other.path == "/home/u/.local/share/devenv/store")
        #expect(
            try other.path(for: .fixed(recursive: true, hash: narANarHash), name: "narA")
                != nix.path(for: .fixed(recursive: true, hash: narANarHash), name: "narA"))
    }

    @Test func namesAndHashPartsAreValidated() throws {
        #expect(throws: StoreError.self) { try StorePath(baseName: "ikiifxrnjzkm8b336gkxxrqk1s8shnip") }
        #expect(throws: StoreError.self) { try StorePath(baseName: "ikiifxrnjzkm8b336gkxxrqk1s8shnie-narA") }
        #expect(throws: StoreError.self) { try StorePath(baseName: "IKIIFXRNJZKM8B336GKXXRQK1S8SHNIP-narA") }
        #expect(throws: StoreError.self) { try StorePath(baseName: "ikiifxrnjzkm8b336gkxxrqk1s8shnip-my file") }
        #expect(throws: StoreError.self) { try StorePath(baseName: "ikiifxrnjzkm8b336gkxxrqk1s8shnip-..") }
        #expect(throws: StoreError.self) { try StoreDirectory("/nix/store").storePath(parsing: "/nix/store/x/y") }
        #expect(throws: StoreError.self) { try StorePath.validate(name: String(repeating: "a", count: 212)) }
        try StorePath.validate(name: String(repeating: "a", count: 211))
        // The refused character is named as a character, not as its first byte.
        #expect(
            throws: StoreError(
                "store path name \"über\" contains \"ü\"; allowed are letters, digits and + - . _ ? ="
            )
        ) { try StorePath.validate(name: "über") }
        let path = try StorePath(baseName: "ikiifxrnjzkm8b336gkxxrqk1s8shnip-narA-1.0+x_y?z=w")
        #expect(path.hashPart == "ikiifxrnjzkm8b336gkxxrqk1s8shnip")
        #expect(path.name == "narA-1.0+x_y?z=w")
    }
}
