import Foundation
import TestSupport
import Testing

struct LockTests {
    @Test func lockingTwiceChangesNothingByteForByte() throws {
        let fixture = try ProjectFixture()
        let first = try fixture.run("lock")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.output.hasPrefix("created devenv.lock"))
        let text = fixture.lockText
        #expect(text.hasSuffix("}\n") && !text.hasSuffix("\n\n"))
        #expect(text.contains("\n  \"version\": 1\n"))
        #expect(text.contains("\"request\": \"hello_2\""))
        #expect(text.contains("\"request\": \"hello@1\""))
        #expect(text.contains("\"type\": \"path\""))
        let lock = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect(Array(lock.keys).sorted() == ["inputs", "manifestHash", "shells", "storeDir", "version"])
        #expect(try fixture.run("lock").output == "devenv.lock is up to date")
        #expect(fixture.lockText == text)
        try fixture.dir.sh("rm proj/devenv.lock")
        #expect(try fixture.run("lock").status == 0)
        #expect(fixture.lockText == text)
    }

    /// devbox's and flox's users' first complaint: a lock that changes by itself. Only locking
    /// writes it; using the project in every way leaves its bytes as they are.
    @Test func usingAProjectNeverChangesItsLock() throws {
        let fixture = try ProjectFixture()
        let locked = try fixture.run("lock")
        #expect(locked.status == 0, "\(locked.stderr)")
        #expect(locked.stderr.contains("built hello_2-2.1.3") || locked.stderr.contains("hello_2"), "\(locked.stderr)")
        let text = fixture.lockText
        let lock = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        let shells = lock["shells"] as! [String: [String: [[String: Any]]]]
        #expect(shells.values.allSatisfy { $0["x86_64-linux"]!.allSatisfy { $0["narHash"] != nil } })
        _ = try fixture.run("allow")
        for arguments in [
            ["develop", "-c", "true"], ["check"], ["export", "bash"], ["develop", "--shell", "old", "-c", "true"],
            ["print-env", "--json"], ["run", "say"], ["gc"], ["develop", "-c", "true"], ["lock"],
        ] {
            let result = try fixture.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(fixture.lockText == text, "\(arguments) changed devenv.lock")
        }
        #expect(try fixture.run("lock").output == "devenv.lock is up to date")
    }

    @Test func onlyWhatChangedIsResolvedAgain() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        // The set moves on; a new shell is added: the old pins stay, the new shell gets the new version.
        try fixture.publish("hello_2", version: "2.2.0")
        try (ProjectFixture.manifest + "\n[shells.extra]\npackages = [\"hello_2\"]\n")
            .write(toFile: fixture.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        let relock = try fixture.run("lock")
        #expect(relock.status == 0, "\(relock.stderr)")
        let lock = try JSONSerialization.jsonObject(with: Data(fixture.lockText.utf8)) as! [String: Any]
        let shells = lock["shells"] as! [String: [String: [[String: Any]]]]
        func version(_ shell: String) -> String? {
            (shells[shell]?["x86_64-linux"]?.first?["derivation"] as? [String: Any])?["version"] as? String
        }
        #expect(version("default") == "2.1.3")
        #expect(version("old") == "1.0")
        #expect(version("extra") == "2.1.3")  // resolved in the pinned input, not the moved one
    }

    @Test func updateMovesInputsAndSaysWhatChanged() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        #expect(try fixture.run("update").output == "no changes")
        try fixture.publish("hello_2", version: "2.2.0")
        let update = try fixture.run("update", "pkgs")
        #expect(update.status == 0, "\(update.stderr)")
        let lines = update.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("input pkgs: sha256-") && $0.contains(" → sha256-") })
        #expect(lines.contains("hello_2 2.1.3 → 2.2.0"))
        #expect(try fixture.run("develop", "-c", "hello").output == "hello 2.2.0")
        let unknown = try fixture.run("update", "nope")
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "Error: devenv.toml has no input 'nope' (it has: pkgs)\n")
    }

    @Test func anOldLockStillRealizesAfterThePackageSetMovedOn() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        try fixture.publish("hello_2", version: "2.2.0")
        try fixture.dir.sh("rm pkgs/hello_1.toml")
        let run = try fixture.run("develop", "-c", "hello")
        #expect(run.output == "hello 2.1.3", "\(run.stderr)")
        #expect(try fixture.run("develop", "--shell", "old", "-c", "hello").output == "hello 1.0")
    }

    @Test func aLockCoversEverySystemOfTheProject() throws {
        let fixture = try ProjectFixture(
            manifest:
                "[project]\nsystems = [\"x86_64-linux\", \"aarch64-darwin\"]\n[inputs]\npkgs = \"path:../pkgs\"\n[shell]\npackages = [\"hello_2\"]\n"
        )
        try fixture.publish("hello_2", version: "2.1.3", systems: ["x86_64-linux", "aarch64-darwin"])
        #expect(try fixture.run("lock").status == 0)
        let lock = try JSONSerialization.jsonObject(with: Data(fixture.lockText.utf8)) as! [String: Any]
        let systems = (lock["shells"] as! [String: [String: Any]])["default"]!
        #expect(systems.keys.sorted() == ["aarch64-darwin", "x86_64-linux"])
        let mac = ((systems["aarch64-darwin"] as! [[String: Any]])[0]["derivation"] as! [String: Any])
        #expect(mac["system"] as? String == "aarch64-darwin")
        #expect(try fixture.run("develop", "-c", "hello").output == "hello 2.1.3")

        try fixture.publish("hello_2", version: "2.1.3", systems: ["x86_64-linux"])
        try fixture.dir.sh("rm proj/devenv.lock")
        let missing = try fixture.run("lock")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("devenv.toml:6:13: hello_2 is not available for aarch64-darwin"))
    }

    @Test func aLockMadeOnAnotherStoreDirectoryWorksHere() throws {
        let fixture = try ProjectFixture()
        let elsewhere = ["DEVENV_HOME": fixture.dir("home2")]
        #expect(try fixture.run("lock", environment: elsewhere).status == 0)
        #expect(fixture.lockText.contains(fixture.dir("home2/store")))
        let home = try fixture.run("develop", "--frozen", "-c", "sh", "-c", "echo $HELLO_HOME")
        #expect(home.output.hasPrefix(fixture.devenv.storeDirectory + "/"), "\(home.stderr)")
        #expect(try fixture.run("develop", "--frozen", "-c", "hello").output == "hello 2.1.3")
    }

    @Test func gitInputsArePinnedAndUpdated() throws {
        let fixture = try ProjectFixture(
            manifest: "[inputs]\nteam = \"git+file://PKGREPO?ref=main\"\n[shell]\npackages = [\"team.hello_2\"]\n")
        try fixture.dir.sh(
            """
            export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@example.com
            git init -q -b main pkgrepo && cp pkgs/*.toml pkgrepo/ && git -C pkgrepo add . && git -C pkgrepo commit -q -m one
            sed -i "s|PKGREPO|$PWD/pkgrepo|" proj/devenv.toml
            """)
        #expect(try fixture.run("lock").status == 0)
        let lock = try JSONSerialization.jsonObject(with: Data(fixture.lockText.utf8)) as! [String: Any]
        let team = (lock["inputs"] as! [String: [String: Any]])["team"]!
        #expect(team["type"] as? String == "git")
        #expect(team["ref"] as? String == "main")
        #expect(team["rev"] as? String == (try fixture.dir.sh("git -C pkgrepo rev-parse HEAD")))
        #expect((team["narHash"] as? String)?.hasPrefix("sha256-") == true)
        #expect((team["lastModified"] as? Int ?? 0) > 1_700_000_000)
        #expect(try fixture.run("develop", "-c", "hello").output == "hello 2.1.3")

        try fixture.publish("hello_2", version: "2.2.0")
        try fixture.dir.sh(
            """
            export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@example.com
            cp pkgs/hello_2.toml pkgrepo/ && git -C pkgrepo commit -q -am two
            """)
        #expect(try fixture.run("develop", "-c", "hello").output == "hello 2.1.3")  // pinned
        let update = try fixture.run("update", "team")
        let short = try fixture.dir.sh("git -C pkgrepo rev-parse --short=7 HEAD")
        #expect(
            update.output.split(separator: "\n").map(String.init).contains {
                $0.hasPrefix("input team: ") && $0.hasSuffix(" → \(short)")
            })
        #expect(update.output.contains("hello_2 2.1.3 → 2.2.0"))
        #expect(try fixture.run("develop", "-c", "hello").output == "hello 2.2.0")
    }

    @Test func aLockFromANewerDevenvIsRefused() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        try fixture.lockText.replacingOccurrences(of: "\"version\": 1\n", with: "\"version\": 99\n")
            .write(toFile: fixture.dir("proj/devenv.lock"), atomically: true, encoding: .utf8)
        let result = try fixture.run("develop", "-c", "true")
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("devenv.lock has version 99, newer than this devenv understands (1); upgrade devenv")
        )
    }
}

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
        #expect(outside.stderr.contains("no devenv.toml in \(fixture.dir("pkgs")) or any parent directory"))
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
    static let cases: [(String, String)] = [
        ("[shell\npackages = []\n", "devenv.toml:1:7: Error while parsing table header"),
        ("[shell]\npakages = [\"hello_2\"]\n", "devenv.toml:2:1: unknown key 'pakages' in 'shell'"),
        (
            "[shell]\npackages = \"hello_2\"\n",
            "devenv.toml:2:1: 'packages' in 'shell' must be an array of strings, not a string"
        ),
        (
            "[inputs]\npkgs = \"path:../pkgs\"\n[shell]\npackages = [\"hello_2\", \"helo_1\"]\n",
            "devenv.toml:4:24: unknown package 'helo_1'; did you mean 'hello_1'"
        ),
        (
            "[inputs]\npkgs = \"path:../pkgs\"\n[shell]\npackages = [\"hello@3\"]\n",
            "devenv.toml:4:13: no version of 'hello' matches @3 (there are: 1.0, 2.1.3)"
        ),
        (
            "[shell]\npackages = [\"team.hello\"]\n",
            "devenv.toml:2:13: 'team.hello' names the input 'team', which [inputs] does not declare"
        ),
        ("[inputs]\nteam = \"svn://x\"\n", "devenv.toml:2:1: input 'team' = \"svn://x\" is not"),
        ("[project]\nsystems = []\n", "devenv.toml:2:1: 'systems' must name at least one system"),
        ("nonsense = 1\n", "devenv.toml:1:1: unknown key 'nonsense' at the top level"),
        ("[inputs]\nmine = \"path:../nowhere\"\n", "devenv.toml:2:8: input 'mine': no directory "),
        (
            "[shell]\nenv = { A = \"a\", B = 1 }\n",
            "devenv.toml:2:18: 'env.B' in 'shell' must be a string, not an integer"
        ),
        (
            "[checks]\nok = \"true\"\nx = 3\n",
            "devenv.toml:3:1: 'checks.x' at the top level must be a string, not an integer"
        ),
        (
            "[shell]\npackages = [\"hello_2\", 3]\n",
            "devenv.toml:2:1: 'packages' in 'shell' must be an array of strings; element 2 is an integer"
        ),
        // Names that would reach shell code.
        (
            "[shell]\nenv = { A = \"a\", \"X;touch F;Y\" = \"v\" }\n",
            "devenv.toml:2:18: \"X;touch F;Y\" in 'shell.env' is not a variable name"
        ),
        ("[shells.x]\nenv.\"A B\" = \"v\"\n", "devenv.toml:2:1: \"A B\" in 'shells.x.env' is not a variable name"),
        ("[shell]\nenv = { \"\" = \"v\" }\n", "devenv.toml:2:9: \"\" in 'shell.env' is not a variable name"),
        ("[shell]\nenv = { status = \"x\" }\n", "devenv.toml:2:9: \"status\" in 'shell.env' is not a variable name"),
        (
            "[shell]\nenv.DEVENV_UNLOAD = \"x\"\n",
            "devenv.toml:2:1: \"DEVENV_UNLOAD\" in 'shell.env' is not a variable name"
        ),
        (
            "[shell]\naliases = { ok = \"true\", 'a$(touch F)' = \"ls\" }\n",
            "devenv.toml:2:26: \"a$(touch F)\" in 'shell.aliases' is not an alias name"
        ),
        (
            "[project]\nsystems = [\"x86_64-linux\", \"evil-os\"]\n",
            "devenv.toml:2:28: \"evil-os\" is not a system devenv knows"
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

struct CheckTests {
    @Test func aGoodProjectPassesAndTheLockIsNeverWritten() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        let before = fixture.lockText
        let result = try fixture.run("check")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("PASS greets (") })
        #expect(lines.contains { $0.hasPrefix("PASS hook-ran (") })
        #expect(lines.last == "check passed")
        #expect(!result.stderr.contains("\u{1B}["))
        #expect(fixture.lockText == before)
        let json = try fixture.run("check", "--json")
        let report = try JSONSerialization.jsonObject(with: json.stdout) as! [String: Any]
        #expect(report["passed"] as? Bool == true)
        #expect((report["checks"] as! [[String: Any]]).map { $0["name"] as? String } == ["greets", "hook-ran"])
    }

    @Test func everyProblemIsALineAndFails() throws {
        let fixture = try ProjectFixture()
        let missing = try fixture.run("check")
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("devenv.lock is missing; run `devenv lock`\n"))
        #expect(!FileManager.default.fileExists(atPath: fixture.dir("proj/devenv.lock")))

        #expect(try fixture.run("lock").status == 0)
        try fixture.dir.sh("sed -i 's/grep -q 2.1.3/grep -q 9.9/' proj/devenv.toml")
        let failing = try fixture.run("check")
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("FAIL greets: exit status 1 ("))
        #expect(failing.stderr.hasSuffix("check failed: 1 problem\n"))

        try fixture.dir.sh("echo '# edited' >> pkgs/hello_1.toml")
        let drifted = try fixture.run("check", "--json")
        let report = try JSONSerialization.jsonObject(with: drifted.stdout) as! [String: Any]
        #expect(report["passed"] as? Bool == false)
        let problems = report["problems"] as! [String]
        #expect(problems.count == 1)
        #expect(problems[0].hasPrefix("input pkgs (path:../pkgs): NAR hash sha256-"))

        try fixture.dir.sh("sed -i 's/hello_2/hello_1/' proj/devenv.toml")
        let before = fixture.lockText
        let stale = try fixture.run("check")
        #expect(stale.stderr.hasPrefix("devenv.lock is out of date with devenv.toml; run `devenv lock`\n"))
        #expect(fixture.lockText == before)
    }
}

extension CheckTests {
    @Test func packagesAreRealizedAndVerifiedAgainstTheLock() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("develop", "-c", "true").status == 0)  // records the packages' NAR hashes
        let fake = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        try fixture.dir.sh(
            """
            python3 - <<'PY'
            import json
            lock = json.load(open("proj/devenv.lock"))
            lock["shells"]["default"]["x86_64-linux"][0]["narHash"] = "\(fake)"
            json.dump(lock, open("proj/devenv.lock", "w"), indent=2)
            PY
            """)
        let tampered = try fixture.run("check")
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("package hello_2 (shell default): NAR hash sha256-"), "\(tampered.stderr)")
        #expect(tampered.stderr.contains("differs from the lock's \(fake)"))

        // Elsewhere, with its source gone: the package cannot be realized.
        try fixture.dir.sh("rm served/*.tar.gz && mkdir elsewhere")
        let gone = try fixture.run(
            "check",
            environment: ["DEVENV_HOME": fixture.dir("elsewhere"), "DEVENV_CONFIG": fixture.dir("elsewhere/c")])
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("package hello_2 (shell default) does not realize: "), "\(gone.stderr)")
    }
}

struct InitTests {
    @Test(arguments: ["go", "node", "python", "zig", "polyglot", "minimal"])
    func everyTemplateWritesAManifestAndLocksIt(_ template: String) throws {
        let dir = try TemporaryDirectory("init")
        let devenv = DevenvCLI(home: dir("home"))
        let result = try devenv("init", "--template", template, dir("app"))
        #expect(result.status == 0, "\(result.stderr)")
        let manifest = try String(contentsOfFile: dir("app/devenv.toml"), encoding: .utf8)
        #expect(manifest.hasPrefix("# "))
        #expect(try String(contentsOfFile: dir("app/.gitignore"), encoding: .utf8) == ".devenv/\n")
        let lock = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: dir("app/devenv.lock"))))
        #expect((lock as? [String: Any])?["version"] as? Int == 1)
        #expect(
            try runCommand(DevenvCLI.binary, ["status"], environment: devenv.environment, currentDirectory: dir("app"))
                .output.contains("up to date:  yes"))
        let again = try devenv("init", "--template", template, dir("app"))
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists; not overwriting it"))
    }

    static let templateFiles = [
        "go": ["devenv.toml", "go.mod", "main.go", "main_test.go"],
        "node": [
            "devenv.toml", "greeting.js", "index.js", "package-lock.json", "package.json", "test/greeting.test.js",
        ],
        "python": ["devenv.toml", "hello.py", "pyproject.toml", "tests/test_hello.py", "uv.lock"],
        "zig": ["build.zig", "devenv.toml", "src/main.zig"],
        "polyglot": [
            "api/go.mod", "api/main.go", "api/main_test.go", "devenv.toml", "justfile", "web/greeting.js",
            "web/index.js", "web/package-lock.json", "web/package.json", "web/test/greeting.test.js",
        ],
        "minimal": ["devenv.toml"],
    ]

    @Test func aTemplateIsAWorkingProjectAndNoExistingFileIsOverwritten() throws {
        let dir = try TemporaryDirectory("init")
        let devenv = DevenvCLI(home: dir("home"))
        for (template, files) in Self.templateFiles {
            #expect(try devenv("init", "--template", template, dir(template)).status == 0)
            let written = try dir.sh("cd \(template) && find . -type f | sed 's|^./||' | sort").split(separator: "\n")
            #expect(written.map(String.init) == (files + [".gitignore", "devenv.lock"]).sorted(), "\(template)")
        }
        // Files of the user stay as they are, links are not followed; what is missing is written.
        try dir.sh("mkdir mine && printf 'my module\\n' > mine/go.mod && ln -s ../victim mine/main.go")
        let result = try devenv("init", "--template", "go", dir("mine"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output.contains("wrote devenv.toml, main_test.go, devenv.lock in \(dir("mine")) (template go)"))
        #expect(result.output.contains("kept the existing go.mod, main.go"))
        #expect(try String(contentsOfFile: dir("mine/go.mod"), encoding: .utf8) == "my module\n")
        #expect(!FileManager.default.fileExists(atPath: dir("victim")))
        // Nor through a directory or a .gitignore that is a link.
        try dir.sh(
            "mkdir cloned elsewhere && ln -s ../elsewhere cloned/test && echo secret > key && ln -s ../key cloned/.gitignore"
        )
        let cloned = try devenv("init", "--template", "node", dir("cloned"))
        #expect(cloned.status == 0, "\(cloned.stderr)")
        #expect(cloned.output.contains("kept the existing test/greeting.test.js"))
        #expect(
            cloned.stderr.contains("warning: .gitignore is not a plain file; add .devenv/ to what git ignores yourself")
        )
        #expect(try dir.sh("ls elsewhere | wc -l") == "0")
        #expect(try String(contentsOfFile: dir("key"), encoding: .utf8) == "secret\n")
    }

    @Test func templatesAreListedAndGitignoreLinesAreNotDuplicated() throws {
        let dir = try TemporaryDirectory("init")
        let devenv = DevenvCLI(home: dir("home"))
        let list = try devenv("init", "--list-templates")
        #expect(
            list.output.split(separator: "\n").map { String($0.prefix { $0 != " " }) } == [
                "go", "minimal", "node", "polyglot", "python", "zig",
            ])
        try dir.sh("mkdir app && printf 'node_modules\\n.devenv/\\n' > app/.gitignore")
        #expect(try devenv("init", dir("app")).status == 0)
        #expect(try String(contentsOfFile: dir("app/.gitignore"), encoding: .utf8) == "node_modules\n.devenv/\n")
        let go =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir("app/devenv.lock"))))
            as! [String: Any]
        #expect((go["shells"] as? [String: Any])?["default"] != nil)
        #expect(try devenv("init", "--template", "rust", dir("other")).stderr.contains("unknown template 'rust'"))
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
