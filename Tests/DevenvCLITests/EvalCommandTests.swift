import Foundation
import TestSupport
import Testing

/// `devenv eval` and `devenv nix-instantiate` as commands: each flag, and output compared with
/// the real nix-instantiate 2.8 where Nix defines it.
struct EvalTests {
    @Test func evalPrintsAValueAFileOrAPartOfIt() throws {
        let dir = try TemporaryDirectory("eval")
        let devenv = DevenvCLI(home: dir("home"))
        #expect(try devenv("eval", "{ b = [ 1 (2 + 3) ]; a = \"x\"; }").output == "{ a = \"x\"; b = [ 1 5 ]; }")
        try "{ x = { y = [ 10 20 ]; }; }".write(toFile: dir("f.nix"), atomically: true, encoding: .utf8)
        #expect(try devenv("eval", "--file", dir("f.nix"), "-A", "x.y.1").output == "20")
        let failed = try devenv("eval", "let a = 1; in a + b")
        #expect(failed.status == 1)
        #expect(failed.stderr == "error: (string):1:19: undefined variable 'b'\n")
        #expect(try devenv("eval", "x", "--file", dir("f.nix")).status == 64)
    }

    /// The flags Nix's language tests do not exercise: -E, --json, -A with --arg/--argstr,
    /// standard input, and .drv paths without --eval, all as Nix prints them.
    @Test(arguments: [
        ["--eval", "--strict", "--json", "-E", "{ a = [ 1 true null \"s\" ]; b.c = 1.5; }"],
        ["--eval", "--strict", "-E", "{ x, y ? 2, ... }: { r = x + y; }", "--arg", "x", "40", "-A", "r"],
        ["--eval", "-E", "{ who }: \"hi ${who}\"", "--argstr", "who", "you"],
        ["--eval", "--strict", "-I", "here=/tmp", "-E", "<here>"],
        ["--readonly-mode", "-E", "derivation { name = \"d\"; builder = \"/bin/sh\"; system = \"x86_64-linux\"; }"],
        ["--parse", "-E", "a: b: a.c or (b // { })"],
    ])
    func nixInstantiatePrintsAsNixDoes(_ arguments: [String]) throws {
        let dir = try TemporaryDirectory("instantiate")
        let nix = try Nix.instantiate(arguments, in: dir.path)
        #expect(nix.status == 0, "\(nix.stderr)")
        let mine = try runCommand(
            DevenvCLI.binary, ["nix-instantiate"] + arguments, environment: DevenvCLI(home: dir("home")).environment,
            currentDirectory: dir.path)
        #expect(mine.status == 0, "\(mine.stderr)")
        #expect(mine.output == nix.output)
    }

    /// `--xml` says where attributes and functions are written, unless `--no-location`.
    @Test(arguments: [["--eval", "--strict", "--xml"], ["--eval", "--strict", "--xml", "--no-location"]])
    func xmlHasNixsLocations(_ flags: [String]) throws {
        let dir = try TemporaryDirectory("instantiate")
        try "{\n  a = x: x;\n  b = { c, d ? 1 }: c;\n  e.f = [ 1 ];\n}\n".write(
            toFile: dir("x.nix"), atomically: true, encoding: .utf8)
        let nix = try Nix.instantiate(flags + [dir("x.nix")], in: dir.path)
        #expect(nix.status == 0, "\(nix.stderr)")
        let mine = try runCommand(
            DevenvCLI.binary, ["nix-instantiate"] + flags + [dir("x.nix")],
            environment: DevenvCLI(home: dir("home")).environment)
        #expect(mine.output == nix.output)
        #expect(mine.output.contains("line=\"2\"") == !flags.contains("--no-location"))
    }

    @Test func nixInstantiateReadsStandardInputAndRefusesUnknownFlags() throws {
        let dir = try TemporaryDirectory("instantiate")
        let devenv = DevenvCLI(home: dir("home"))
        #expect(try devenv("nix-instantiate", "--eval", "-", input: Data("[ 1 2 ]".utf8)).output == "[ 1 2 ]")
        let bad = try devenv("nix-instantiate", "--frobnicate")
        #expect(bad.status == 64)
        #expect(bad.stderr.hasPrefix("Error: unrecognised flag '--frobnicate'\nUsage: devenv nix-instantiate"))
    }
}
