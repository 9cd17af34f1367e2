import DevenvBasics
import DevenvBuild
import DevenvProject
import Foundation
import TestSupport
import Testing

struct TrustTests {
    @Test func otherWorktreesWithTheSameContentAreAllowed() throws {
        let fixture = try ProjectFixture()
        try fixture.dir.sh(
            """
            export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@example.com
            cd proj && git init -q -b main . && git add devenv.toml && git commit -q -m one
            """)
        #expect(try fixture.run("lock").status == 0)
        try fixture.dir.sh("cd proj && git add devenv.lock && git commit -q -m lock && git worktree add -q ../proj-wt")
        #expect(try fixture.run("status", in: fixture.dir("proj-wt")).output.contains("allowed:     no"))
        #expect(try fixture.run("allow").output == "allowed \(fixture.dir("proj"))")
        #expect(try fixture.run("status", in: fixture.dir("proj-wt")).output.contains("allowed:     yes"))
        // ... and the hook loads it there.
        #expect(try fixture.run("develop", "-c", "true", in: fixture.dir("proj-wt")).status == 0)
        #expect(try fixture.run("export", "bash", in: fixture.dir("proj-wt")).output.contains("__devenv_begin"))
        let shell = try ShellSession(
            "bash", devenv: fixture.devenv, home: fixture.dir("shell-home"), start: fixture.dir.path)
        #expect(
            try shell.query("$DEVENV_ACTIVE|$GREETING", after: "cd proj-wt")
                == "\(fixture.dir("proj-wt"))|hi from \(fixture.dir("proj-wt"))")
        try fixture.dir.sh("echo '# edited' >> proj-wt/devenv.toml")
        #expect(try fixture.run("status", in: fixture.dir("proj-wt")).output.contains("allowed:     no"))
        #expect(try fixture.run("deny").output == "denied \(fixture.dir("proj"))")
        #expect(try fixture.run("status").output.contains("allowed:     no"))
    }

    @Test func recordingNarHashesDoesNotBlockAProjectAgain() throws {
        let fixture = try ProjectFixture()
        // A lock written on the way by develop: only what was in the store then has its hash.
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        _ = try fixture.run("allow")
        func packageNarHash() throws -> String? {
            let lock = try JSONSerialization.jsonObject(with: Data(fixture.lockText.utf8)) as! [String: Any]
            let shells = lock["shells"] as! [String: [String: [[String: Any]]]]
            return shells["default"]?["x86_64-linux"]?.first?["narHash"] as? String
        }
        #expect(try packageNarHash() == nil)
        // Locking again changes nothing (and nothing changes it later): `update` records them.
        #expect(try fixture.run("lock").output == "devenv.lock is up to date")
        #expect(try fixture.run("update").output == "no changes")
        #expect(try packageNarHash() != nil)
        #expect(try fixture.run("status").output.contains("allowed:     yes"))
    }

    @Test func theBackgroundRealizationAllowsOnlyTheManifestItWasStartedFor() throws {
        let fixture = try ProjectFixture()
        let root = fixture.dir("proj")
        try fixture.dir.sh(
            """
            printf '[slow]\\nversion = "1"\\ndescription = "d"\\nhomepage = "h"\\nlicense = "l"\\norigin = "o"\\n' > pkgs/slow.toml
            printf "script = 'sleep 2; mkdir -p \\"\\$out\\"'\\n" >> pkgs/slow.toml
            sed -i 's/packages = \\["hello_2"\\]/packages = ["hello_2", "slow"]/' proj/devenv.toml
            """)
        _ = try fixture.run("allow")
        let log = open(fixture.dir("realize.log"), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        defer { close(log) }
        let realizing = try ChildProcess(
            DevenvCLI.binary, ["hook-realize", "bash", root], environment: fixture.devenv.environment,
            streams: Subprocess.Streams(output: log, error: log))
        // While it builds, while the lock is being written, export keeps the last good environment.
        for _ in 0..<200 where fixture.lockText.isEmpty { usleep(50_000) }
        let meanwhile = try fixture.run("export", "bash")
        #expect(meanwhile.output.contains("__devenv_pending"), "\(meanwhile.stderr)")
        #expect(!meanwhile.stderr.contains("changed since it was allowed"))
        try fixture.dir.sh("sed -i 's/GREETING = \"hi from/GREETING = \"edited from/' proj/devenv.toml")
        let status = try realizing.wait()
        #expect(status == 0, "\((try? String(contentsOfFile: fixture.dir("realize.log"), encoding: .utf8)) ?? "")")
        let after = try fixture.run("export", "bash")
        #expect(after.stderr.contains("changed since it was allowed"), "\(after.stderr)")
        #expect(!after.output.contains("edited from"))
    }

    @Test func theManifestHookChangesOnlyWhatItChanges() throws {
        // A non-interactive bash drops PS1 and PS2: the hook's run must not make them go.
        let fixture = try ProjectFixture()
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        _ = try fixture.run("allow")
        let exported = try fixture.run("export", "bash", environment: ["PS1": "my prompt$ ", "PS2": "more> "])
        #expect(!exported.output.contains("PS1") && !exported.output.contains("PS2"), "\(exported.output)")
        #expect(exported.output.contains("__devenv_set FROM_HOOK 'yes'"))
        let printed = try fixture.run("print-env", environment: ["PS1": "my prompt$ "])
        #expect(!printed.output.contains("PS1"), "\(printed.output)")
        #expect(try fixture.run("develop", "-c", "sh", "-c", "echo $PS1", environment: ["PS1": "p$ "]).output == "p$")
    }

    @Test func aCachedEnvironmentSetsWhatItDeclaresInEveryShell() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        _ = try fixture.run("allow")
        let root = fixture.dir("proj")
        // Made in a shell that has the value already; loaded from the cache into one that does not.
        let same = try fixture.run("export", "bash", environment: ["GREETING": "hi from \(root)"])
        #expect(same.output.contains("__devenv_set GREETING 'hi from \(root)'"))
        let other = try fixture.run("export", "bash", environment: ["GREETING": "something else"])
        #expect(other.output.contains("__devenv_set GREETING 'hi from \(root)'"))
    }

    @Test func withoutBackgroundRealizationExportWaits() throws {
        let fixture = try ProjectFixture()
        _ = try fixture.run("allow")
        let pending = try fixture.run("export", "bash")
        #expect(pending.output.contains("__devenv_pending"))
        #expect(pending.stderr.contains("realizing \(fixture.dir("proj")) in the background"))

        let other = try ProjectFixture()
        _ = try other.run("allow")
        try "[hook]\nbackground = false\n".write(
            toFile: other.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        let waited = try other.run("export", "bash")
        #expect(!waited.output.contains("__devenv_pending"))
        #expect(waited.output.contains("__devenv_set GREETING"))
        #expect(waited.stderr.contains("built hello_2-2.1.3"))
    }

    @Test func statusExportAndHookScripts() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        let status = try fixture.run("status")
        #expect(status.output.contains("active:      none (project here: \(fixture.dir("proj")))"))
        #expect(status.output.contains("up to date:  yes"))
        #expect(status.output.contains("realized:    yes ("))
        let denied = try fixture.run("export", "json")
        #expect(denied.status != 0)
        #expect(denied.stderr.contains("is not allowed"))
        _ = try fixture.run("allow")
        let json = try JSONSerialization.jsonObject(with: try fixture.run("export", "json").stdout) as! [String: Any]
        #expect(json["version"] as? Int == 1)
        #expect((json["variables"] as? [String: String])?["DEVENV_ROOT"] == fixture.dir("proj"))
        let bash = try fixture.run("export", "bash")
        #expect(bash.output.hasPrefix("# devenv-cache 1 "))
        #expect(bash.output.contains("__devenv_set GREETING 'hi from \(fixture.dir("proj"))'"))
        // In a shell whose hook loaded the project (here: this process, devenv's parent): since
        // DEVENV_ACTIVE_SINCE, or (fish) the time of the shell's stamp.
        let active = ["DEVENV_ACTIVE": fixture.dir("proj"), "DEVENV_ACTIVE_ENVIRONMENT": "/somewhere"]
        let since = try fixture.run("status", environment: active.merging(["DEVENV_ACTIVE_SINCE": "1700000000"]) { $1 })
        #expect(since.output.contains("since:       2023-11-14T22:13:20Z"), "\(since.output)")
        let stamps = fixture.devenv.home + "/hooks/stamps"
        try FileManager.default.createDirectory(atPath: stamps, withIntermediateDirectories: true)
        try "".write(toFile: "\(stamps)/\(getpid())", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_750_000_000)], ofItemAtPath: "\(stamps)/\(getpid())")
        #expect(try fixture.run("status", environment: active).output.contains("since:       2025-06-15T15:06:40Z"))
        for dialect in ["bash", "zsh", "fish"] {
            let script = try fixture.run("hook", dialect)
            #expect(script.status == 0)
            #expect(script.output.contains("__devenv_hook"))
            #expect(!script.output.contains("@VERSION@"))
            let check = try runCommand("/usr/bin/\(dialect)", ["-n", "-c", script.output])
            #expect(check.status == 0, "\(dialect): \(check.stderr)")
        }
    }
}
