import DevenvBasics
import DevenvBuild
import DevenvFetch
import DevenvStore
import Testing

struct DerivationTests {
    let store = StoreDirectory("/home/u/.local/share/devenv/store")
    let base = Derivation(
        name: "tool", version: "1.0", system: "x86_64-linux",
        sources: [
            Derivation.Source(
                url: "https://example.org/tool.tar.gz", hash: Hasher.hash(.sha256, Array("tool".utf8)),
                unpack: UnpackOptions(strip: 1))
        ],
        dependencies: [Derivation(name: "dep", version: "2", system: "x86_64-linux", sources: [])],
        script: "cp -r $src $out", environment: ["A": "1"])

    @Test func theCanonicalFormIsExact() {
        let dep = base.dependencies[0].hash.base16
        #expect(
            base.canonical.serialized
                == #"{"dependencies":[""# + dep
                + #""],"environment":{"A":"1"},"name":"tool","paths":["bin"],"script":"cp -r $src $out","sources":[{"hash":"sha256-fJu+Xsmz+3dOj6D1QkfpPDTd+OXRb+MHNCDeCugaJi0=","unpack":{"strip":1,"subdir":null},"url":"https://example.org/tool.tar.gz"}],"system":"x86_64-linux","version":"1.0"}"#
        )
        #expect(
            CanonicalJSON.object(["b": .string("\"\\\n\u{1}é"), "a": .array([.integer(-3), .bool(true), .null])])
                .serialized
                == #"{"a":[-3,true,null],"b":"\"\\\n\u0001é"}"#)
    }

    @Test func theOutputPathIsAnOutputPathOverTheDerivationHash() throws {
        let path = try base.outputPath(in: store)
        #expect(path.name == "tool-1.0")
        #expect(path == (try store.outputPath(derivationHash: base.hash, output: "out", derivationName: "tool-1.0")))
    }

    @Test func changingAnyFieldChangesTheOutputPath() throws {
        var variants: [Derivation] = [base]
        func vary(_ change: (inout Derivation) -> Void) {
            var copy = base
            change(&copy)
            variants.append(copy)
        }
        vary { $0.name = "tool2" }
        vary { $0.version = "1.1" }
        vary { $0.system = "aarch64-linux" }
        vary { $0.sources[0].url = "https://mirror.example.org/tool.tar.gz" }
        vary { $0.sources[0].hash = Hasher.hash(.sha256, Array("other".utf8)) }
        vary { $0.sources[0].hash = Hasher.hash(.sha512, Array("tool".utf8)) }
        vary { $0.sources[0].unpack = UnpackOptions(strip: 0) }
        vary { $0.sources[0].unpack = UnpackOptions(strip: 1, subdir: "bin") }
        vary { $0.sources[0].unpack = nil }
        vary { $0.sources.append($0.sources[0]) }
        vary { $0.dependencies = [] }
        vary { $0.dependencies[0].version = "3" }
        vary { $0.script = "cp -r $src/ $out" }
        vary { $0.script = nil }
        vary { $0.environment = ["A": "2"] }
        vary { $0.environment["B"] = "" }
        vary { $0.paths = ["."] }
        let paths = try variants.map { try $0.outputPath(in: store) }
        #expect(Set(paths).count == variants.count)
        #expect(try base.outputPath(in: store) != (try base.outputPath(in: StoreDirectory("/nix/store"))))
    }
}
