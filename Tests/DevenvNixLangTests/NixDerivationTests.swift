import Foundation
import Testing

@testable import DevenvNixLang

/// `derivationStrict`, store paths of files and sources, hashes and string context, against
/// values the real Nix 2.8 `nix-instantiate --eval --strict` printed for the same expressions.
struct NixDerivationTests {
    /// Multiple outputs, args, an input derivation's output, a `toFile` with a reference,
    /// `__ignoreNulls`, a recursive and an SRI fixed output, a dependant of a fixed output,
    /// structured attributes, `getContext` and `placeholder`.
    @Test func derivationPathsAreNixs() throws {
        #expect(
            try evaluateNix(
                #"""
                let a = derivationStrict { name = "a"; builder = "/foo"; system = "i686-linux"; outputs = ["out" "dev"]; args = ["-c" "echo \"x\"\n" 1 null true]; };
                    t = builtins.toFile "t.txt" "hi\n";
                    b = derivationStrict { name = "b"; builder = "/bin/sh"; system = "x86_64-linux"; dep = a.dev; f = builtins.toFile "u.txt" "see ${t}"; n = null; __ignoreNulls = true; };
                    c = derivationStrict { name = "fod"; builder = "/bin/sh"; system = "x86_64-linux"; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = "1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13"; };
                    d = derivationStrict { name = "d"; builder = "/bin/sh"; system = "x86_64-linux"; src = c.out; x = b.out; };
                    e = derivationStrict { name = "e"; builder = "/bin/sh"; system = "x86_64-linux"; __structuredAttrs = true; xs = [1 "a" { y = null; }]; outputs = ["out" "lib"]; };
                    f = derivationStrict { name = "f"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="; };
                in [a b c d e f (builtins.getContext d.drvPath) (builtins.getContext "${d.out}${a.dev}${t}") (builtins.placeholder "out") t]
                """#)
                == #"[ { dev = "/nix/store/mccnz1v2x6894q8zj6q9p3xrrg5p3czh-a-dev"; drvPath = "/nix/store/8akmciqm1mcx44fip803ll70q0g9nz3r-a.drv"; out = "/nix/store/p8828q7pqrkvpvqzxv5zhbgq99vxh7b2-a"; } { drvPath = "/nix/store/wl9lbfdqxa7qsl2q9x2sy8y3iqn92k25-b.drv"; out = "/nix/store/kl01bcygqsnj3w7bl67yq7nip6gsrrs5-b"; } { drvPath = "/nix/store/dajby9niqkrfzy26sdvj0c9m5w5iiivr-fod.drv"; out = "/nix/store/wp6xdm2cb3mj0lm0pw4pdpss62xj3x94-fod"; } { drvPath = "/nix/store/p365rdybic4x7f420b333vjp5ww2gfkc-d.drv"; out = "/nix/store/gawaijbak6cxnrii5hw583z44cipb5qq-d"; } { drvPath = "/nix/store/ji5vvdhgxxji0klhzlwwcvb097y5lqkl-e.drv"; lib = "/nix/store/q7k07qfq31bd3v25l0nz51hr39avnhqi-e-lib"; out = "/nix/store/7rnqmwmnadv8qa2mh5kadd0fr529swl6-e"; } { drvPath = "/nix/store/likmms31hsqfd2ryz4qwrfsbn99g3p3w-f.drv"; out = "/nix/store/1p9q0bz6f22dyxh4lw8xs08p4201vyq4-f"; } { "/nix/store/p365rdybic4x7f420b333vjp5ww2gfkc-d.drv" = { allOutputs = true; }; } { "/nix/store/8akmciqm1mcx44fip803ll70q0g9nz3r-a.drv" = { outputs = [ "dev" ]; }; "/nix/store/p365rdybic4x7f420b333vjp5ww2gfkc-d.drv" = { outputs = [ "out" ]; }; "/nix/store/rcl5i7k4xwa7zkij8lg4r4yxxgixdwzv-t.txt" = { path = true; }; } "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9" "/nix/store/rcl5i7k4xwa7zkij8lg4r4yxxgixdwzv-t.txt" ]"#
        )
    }

    @Test func derivationsReportNixsErrors() throws {
        #expect(
            nixFailure(#"derivationStrict { name = "x"; system = "y"; }"#)?.contains(
                "required attribute 'builder' missing")
                == true)
        #expect(
            nixFailure(#"derivationStrict { name = "x.drv"; builder = "b"; system = "y"; }"#)?.contains(
                "derivation names are not allowed to end in '.drv'") == true)
        #expect(
            nixFailure(#"derivationStrict { name = "x"; builder = "b"; system = "y"; outputs = ["out" "out"]; }"#)?
                .contains("duplicate derivation output 'out'") == true)
        #expect(
            nixFailure(
                #"let a = derivationStrict { name = "a"; builder = "/foo"; system = "i686-linux"; }; in builtins.toFile "t.txt" "hi ${a.out}""#
            )?
            .contains("in 'toFile': the file named 't.txt' must not contain a reference to a derivation") == true)
    }

    @Test func textAndSourcePaths() throws {
        #expect(
            try evaluateNix(#"builtins.toFile "greeting.txt" "hello\n""#)
                == #""/nix/store/7pd01133yha2s6wji4ab7vh7pp1905a1-greeting.txt""#)
        #expect(
            try evaluateNix(
                #"let a = builtins.toFile "greeting.txt" "hello\n"; in builtins.toFile "ref.txt" "see ${a}\n""#)
                == #""/nix/store/3g5nw29va1m1irhs9q215vzm6w23fmsc-ref.txt""#)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nixpath-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: directory + "/single.txt"))
        try Data("other\n".utf8).write(to: URL(fileURLWithPath: directory + "/sub/dropped"))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // docs/nix-formats.md §3.3: single.txt added flat and recursively.
        #expect(
            try evaluateNix(#"builtins.path { path = "\#(directory)/single.txt"; recursive = false; }"#)
                == #""/nix/store/f9j2652hq6jqn96qaz70pr1qyccs3d66-single.txt""#)
        #expect(
            try evaluateNix(#"builtins.path { path = "\#(directory)/single.txt"; }"#)
                == #""/nix/store/3pc7hb0hqzcfgkc3k2097aj7wbyvl382-single.txt""#)
        // Filtering out everything but single.txt gives the directory of that file alone.
        let filtered = try evaluateNix(
            #"builtins.filterSource (p: t: t != "directory") "\#(directory)""#)
        let unfiltered = try evaluateNix(#"builtins.path { path = "\#(directory)"; name = "d"; }"#)
        #expect(filtered != unfiltered)
        #expect(
            nixFailure(
                #"builtins.path { path = "\#(directory)/single.txt"; sha256 = "1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13"; }"#
            )
                == nil)
        #expect(
            nixFailure(
                #"builtins.path { path = "\#(directory)/single.txt"; sha256 = "0000000000000000000000000000000000000000000000000000000000000000"; }"#
            )?
            .contains("store path mismatch") == true)
        #expect(
            nixFailure(#"builtins.path { path = "\#(directory)"; bogus = 1; }"#)?.contains(
                "unsupported argument 'bogus' to 'addPath'") == true)
    }

    @Test func hashes() throws {
        #expect(try evaluateNix(#"builtins.hashString "md5" """#) == #""d41d8cd98f00b204e9800998ecf8427e""#)
        #expect(
            try evaluateNix(#"builtins.hashString "sha256" "text 1""#)
                == #""\#(sha256Hex("text 1"))""#)
        #expect(nixFailure(#"builtins.hashString "sha3" "x""#)?.contains("unknown hash type 'sha3'") == true)
    }

    func sha256Hex(_ text: String) -> String {
        // Computed by `nix-instantiate --eval -E 'builtins.hashString "sha256" "text 1"'`.
        "900a4469df00ccbfd0c145c6d1e4b7953dd0afafadd7534e3a4019e8d38fc663"
    }

    @Test func contextIsKeptDiscardedAndAppended() throws {
        #expect(
            try evaluateNix(
                #"let t = builtins.toFile "t.txt" "hi\n"; s = "x${t}"; in [ (builtins.hasContext s) (builtins.hasContext (builtins.unsafeDiscardStringContext s)) (builtins.getContext (builtins.appendContext "" { ${builtins.unsafeDiscardStringContext t} = { path = true; }; })) ]"#
            )
                == #"[ true false { "/nix/store/rcl5i7k4xwa7zkij8lg4r4yxxgixdwzv-t.txt" = { path = true; }; } ]"#)
        #expect(
            nixFailure(
                #"builtins.appendContext "" { "/nix/store/rcl5i7k4xwa7zkij8lg4r4yxxgixdwzv-t.txt" = { allOutputs = true; }; }"#
            )?
            .contains("which is not a derivation") == true)
        #expect(
            nixFailure(#"builtins.appendContext "" { "/tmp/x" = { path = true; }; }"#)?.contains("is not a store path")
                == true)
        #expect(
            try evaluateNix(
                #"builtins.getContext (builtins.unsafeDiscardOutputDependency (derivationStrict { name = "a"; builder = "/foo"; system = "i686-linux"; }).drvPath)"#
            )
                == #"{ "/nix/store/zaz3l3zq54f6vzlqwv52zid34z0p4ba0-a.drv" = { path = true; }; }"#)
    }
}
