import DevenvBasics
import DevenvBuild
import DevenvProject
import Foundation
import TestSupport
import Testing

struct DevelopTests {
    @Test func commandsRunInTheEnvironmentWithTheirExitStatus() throws {
        let fixture = try ProjectFixture()
        let first = try fixture.run("develop", "-c", "hello")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.output == "hello 2.1.3")
        #expect(first.stderr.contains("created devenv.lock"))
        #expect(first.stderr.contains("hook ran"))
        #expect(try fixture.run("develop", "-c", "sh", "-c", "exit 7").status == 7)
        let variables = try fixture.run(
            "develop", "-c", "sh", "-c",
            "echo \"$DEVENV_ROOT|$DEVENV_SHELL|$GREETING|$LITERAL|$FROM_HOOK|$DERIVED|$HELLO_HOME\"")
        let fields = variables.output.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let root = fixture.dir("proj")
        #expect(fields[0...4] == [root, "default", "hi from \(root)", "$HOME", "yes"])
        #expect(fields[6].hasPrefix(fixture.devenv.storeDirectory + "/") && fields[6].hasSuffix("-hello_2-2.1.3"))
        #expect(fields[5] == fields[6] + "/bin")
        let path = try fixture.run("develop", "-c", "sh", "-c", "echo $PATH").output
        #expect(path.hasPrefix(fixture.devenv.storeDirectory + "/") && path.contains("-devenv-env/bin:"))
        // The lock learnt the NAR hash of what was realized.
        #expect(fixture.lockText.contains("\"narHash\": \"sha256-"))
    }

    @Test func anyDirectoryOfTheProjectWorks() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("develop", "-c", "hello", in: fixture.dir("proj/sub/deeper")).output == "hello 2.1.3")
        #expect(
            try fixture.run("develop", "-C", "proj/sub", "-c", "hello", in: fixture.dir.path).output == "hello 2.1.3")
        // -C is "as if started there", as with git -C: the command runs in DIR too.
        #expect(
            try fixture.run("develop", "-C", "proj/sub", "-c", "pwd", in: fixture.dir.path).output
                == fixture.dir("proj/sub"))
        #expect(try fixture.run("run", "-C", "proj/sub/deeper", "args", in: fixture.dir.path).status == 0)
        let nowhere = try fixture.run("develop", "-C", "no/such/dir", "-c", "true", in: fixture.dir.path)
        #expect(nowhere.status != 0 && nowhere.stderr.contains("cannot enter 'no/such/dir'"))
        let outside = try fixture.run("develop", "-c", "true", in: fixture.dir("pkgs"))
        #expect(outside.status == 1)
        #expect(
            outside.stderr.contains(
                "no devenv.toml (or flake.nix, shell.nix, default.nix) in \(fixture.dir("pkgs")) or any parent directory"
            ))
    }

    @Test func pureKeepsOnlyTheDocumentedVariables() throws {
        let fixture = try ProjectFixture()
        let script = "echo \"${SECRET:-unset}|$HOME|$PATH\""
        let impure = try fixture.run("develop", "-c", "sh", "-c", script, environment: ["SECRET": "x"])
        #expect(impure.output.hasPrefix("x|"))
        let pure = try fixture.run("develop", "--pure", "-c", "sh", "-c", script, environment: ["SECRET": "x"])
        let fields = pure.output.split(separator: "|").map(String.init)
        #expect(fields[0] == "unset")
        #expect(fields[1] == ProcessInfo.processInfo.environment["HOME"])
        #expect(fields[2].hasSuffix("-devenv-env/bin:/usr/bin:/bin"))
    }

    @Test func aStaleLockIsUpdatedFrozenOrRefused() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        try fixture.lockText.write(toFile: fixture.dir("old.lock"), atomically: true, encoding: .utf8)
        try ProjectFixture.manifest.replacingOccurrences(
            of: "packages = [\"hello_2\"]", with: "packages = [\"hello_1\"]"
        )
        .write(toFile: fixture.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        let locked = try fixture.run("develop", "--locked", "-c", "hello")
        #expect(locked.status == 1)
        #expect(locked.stderr == "Error: devenv.lock is out of date with devenv.toml; run `devenv lock`\n")
        #expect(try fixture.run("develop", "--frozen", "-c", "hello").output == "hello 2.1.3")
        #expect(fixture.lockText == (try String(contentsOfFile: fixture.dir("old.lock"), encoding: .utf8)))
        let updated = try fixture.run("develop", "-c", "hello")
        #expect(updated.output == "hello 1.0")
        #expect(updated.stderr.contains("updated devenv.lock (devenv.toml changed)"))
        let both = try fixture.run("develop", "--frozen", "--locked", "-c", "true")
        #expect(both.status != 0)
    }

    @Test func scriptsRunWithTheirArguments() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("run", "say").output == "hello 2.1.3")
        #expect(try fixture.run("run", "args", "a b", "c").output == "a b|c|")
        let unknown = try fixture.run("run", "nope")
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "Error: devenv.toml has no script 'nope' (it has: args, say)\n")
    }

    @Test func printEnvGivesDataAndShellCode() throws {
        let fixture = try ProjectFixture()
        let json = try fixture.run("print-env", "--json")
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: json.stdout) as! [String: Any]
        #expect(object["version"] as? Int == 1)
        #expect(object["shell"] as? String == "default")
        #expect(object["project"] as? String == fixture.dir("proj"))
        let variables = object["variables"] as! [String: String]
        #expect(variables["GREETING"] == "hi from \(fixture.dir("proj"))")
        #expect(variables["FROM_HOOK"] == "yes")
        #expect((object["packages"] as! [[String: Any]]).map { $0["name"] as? String } == ["hello_2"])
        let bash = try fixture.run("print-env")
        #expect(bash.output.contains("export GREETING='hi from \(fixture.dir("proj"))';"))
        let evaluated = try runCommand("/bin/bash", ["-c", bash.output + "\nhello"])
        #expect(evaluated.output == "hello 2.1.3")
        let fish = try fixture.run("print-env", "--shell", "fish", "--shell-name", "old")
        #expect(fish.output.contains("set -gx DEVENV_SHELL 'old'"))
        #expect(!fish.output.contains("GREETING"))
    }

    @Test func anAdHocShellNeedsNoProject() throws {
        let fixture = try ProjectFixture()
        let result = try fixture.run(
            "shell", "hello@1", "--packages", fixture.dir("pkgs"), "-c", "hello", in: fixture.dir.path)
        #expect(result.output == "hello 1.0", "\(result.stderr)")
        let unknown = try fixture.run(
            "shell", "helo_2", "--packages", fixture.dir("pkgs"), "-c", "true", in: fixture.dir.path)
        #expect(unknown.stderr.contains("unknown package 'helo_2'; did you mean 'hello_2'"))
    }
}

struct ManifestErrorTests {
    /// Mistakes a process must report with exit status 2, among them those found while
    /// resolving; what the manifest reader alone finds is tested in DevenvProjectTests.
    static let cases: [(String, String)] = [
        ("[shell\npackages = []\n", "devenv.toml:1:7: Error while parsing table header"),
        (
            "[inputs]\npkgs = \"path:../pkgs\"\n[shell]\npackages = [\"hello_2\", \"helo_1\"]\n",
            "devenv.toml:4:24: unknown package 'helo_1'; did you mean 'hello_1'"
        ),
        (
            "[inputs]\npkgs = \"path:../pkgs\"\n[shell]\npackages = [\"hello@3\"]\n",
            "devenv.toml:4:13: no version of 'hello' matches @3 (there are: 1.0, 2.1.3)"
        ),
        ("[inputs]\nmine = \"path:../nowhere\"\n", "devenv.toml:2:8: input 'mine': no directory "),
        (
            "[checks]\nok = \"true\"\nx = 3\n",
            "devenv.toml:3:1: 'x' in 'checks' must be a string or a table, not an integer"
        ),
        (
            "[shell]\npackages = [\"hello_2\", 3]\n",
            "devenv.toml:2:1: 'packages' in 'shell' must be an array of strings; element 2 is an integer"
        ),
        (
            "[shell]\nenv = { A = \"a\", \"X;touch F;Y\" = \"v\" }\n",
            "devenv.toml:2:18: \"X;touch F;Y\" in 'shell.env' is not a variable name"
        ),
        ("[shells.x]\nenv.\"A B\" = \"v\"\n", "devenv.toml:2:1: \"A B\" in 'shells.x.env' is not a variable name"),
        ("[shell]\nenv = { \"\" = \"v\" }\n", "devenv.toml:2:9: \"\" in 'shell.env' is not a variable name"),
        (
            "[shell]\nenv.DEVENV_UNLOAD = \"x\"\n",
            "devenv.toml:2:1: \"DEVENV_UNLOAD\" in 'env' is devenv's own (DEVENV_… and __devenv… are)"
        ),
        (
            "[shell]\naliases = { ok = \"true\", 'a$(touch F)' = \"ls\" }\n",
            "devenv.toml:2:26: \"a$(touch F)\" in 'shell.aliases' is not an alias name"
        ),
        (
            "[shell]\n" + Array(repeating: "a", count: 50_000).joined(separator: ".") + " = 1\n",
            "devenv.toml:2:1: nested deeper than 128 levels"
        ),
        (
            "[shell]\npackages = []\nhook = \"x\"\u{0}\nhook = 'evil'\n",
            "devenv.toml:3:11: a NUL byte is not allowed in TOML"
        ),
    ]

    @Test(arguments: cases.indices)
    func mistakesInTheManifestPointAtTheirPlaceAndExitWith2(_ index: Int) throws {
        let (manifest, message) = Self.cases[index]
        let fixture = try ProjectFixture(manifest: manifest)
        let result = try fixture.run("develop", "-c", "true")
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: " + message), "\(result.stderr)")
        #expect(!result.stderr.contains("\n") || result.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: fixture.dir("proj/devenv.lock")))
    }
}

/// `devenv develop` without -c, in real interactive shells driven through tmux.
struct InteractiveShellTests {
    static let manifestWithAliases = ProjectFixture.manifest.replacingOccurrences(
        of: "[shells.old]", with: "aliases = { greet = \"echo 'alias in develop'\" }\n\n[shells.old]")

    /// `devenv develop` in a tmux of its own, with `SHELL` set to `shell`; `answering` names the
    /// shell that will run.
    func develop(_ fixture: ProjectFixture, shell: String, answering: String, in directory: String) throws
        -> ShellSession
    {
        #expect(try fixture.run("lock").status == 0)
        var environment = fixture.devenv.environment
        environment["SHELL"] = shell
        environment["HOME"] = fixture.dir("home")
        return try ShellSession(
            answering, running: "exec \(DevenvCLI.binary) develop", in: directory, environment: environment)
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func developStartsTheUsersShellInTheEnvironment(_ shell: String) throws {
        let fixture = try ProjectFixture(manifest: Self.manifestWithAliases)
        let session = try develop(fixture, shell: "/usr/bin/\(shell)", answering: shell, in: fixture.dir("proj/sub"))
        let marks = try session.query("MARK:$(hello):$DEVENV_SHELL:$FROM_HOOK")
        #expect(marks == "MARK:hello 2.1.3:default:yes")
        try session.send("greet")
        try session.waitFor { $0.contains("alias in develop") }
        // Nothing is written into the project for the shell's startup.
        #expect(!FileManager.default.fileExists(atPath: fixture.dir("proj/.devenv")))
    }

    @Test func anUnsupportedShellFallsBackToBashAndSaysSo() throws {
        let fixture = try ProjectFixture(manifest: Self.manifestWithAliases)
        let session = try develop(fixture, shell: "/bin/sh", answering: "bash", in: fixture.dir("proj"))
        #expect(try session.query("MARK:$(hello):${BASH_VERSION:+bash}") == "MARK:hello 2.1.3:bash")
        #expect(
            try session.screen().contains(
                "devenv: $SHELL is /bin/sh, which devenv cannot start in an environment; starting bash"))
    }
}
