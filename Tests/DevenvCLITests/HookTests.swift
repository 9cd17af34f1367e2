import DevenvBasics
import DevenvBuild
import Foundation
import TestSupport
import Testing

/// Three projects of the fixture's package set, locked, realized and allowed: `proj` (hello 2.1.3,
/// variables, a hook, an alias), `other` (hello 1.0) and `proj/sub/inner` (hello 1.0, nested).
final class HookFixture: @unchecked Sendable {
    let project: ProjectFixture
    static let odd = "a b\n'c\"$d é"

    init() throws {
        project = try ProjectFixture(
            manifest: """
                [inputs]
                pkgs = "path:../pkgs"
                [shell]
                packages = ["hello_2"]
                env = { GREETING = "hi", ODD = "changed", EMPTY = "now set" }
                aliases = { hi = "echo alias-works" }
                hook = '''
                echo "hook of proj"
                export FROM_HOOK=yes
                '''
                """)
        try project.dir.sh(
            """
            mkdir -p other proj/sub/inner
            printf '[inputs]\\npkgs = "path:../pkgs"\\n[shell]\\npackages = ["hello_1"]\\nenv = { OTHER = "yes" }\\n' > other/devenv.toml
            printf '[inputs]\\npkgs = "path:../../../pkgs"\\n[shell]\\npackages = ["hello_1"]\\nenv = { INNER = "yes" }\\n' > proj/sub/inner/devenv.toml
            """)
        for directory in ["proj", "other", "proj/sub/inner"] {
            let ready = try project.run("develop", "-c", "true", in: project.dir(directory))
            guard ready.status == 0 else { throw CommandFailure(description: ready.stderr) }
            _ = try project.run("allow", in: project.dir(directory))
        }
    }

    func shell(_ name: String, rc: String = "") throws -> ShellSession {
        try ShellSession(
            name, devenv: project.devenv, home: project.dir("shell-home-\(name)"), start: project.dir.path,
            environment: ["ODD": HookFixture.odd, "EMPTY": ""], rc: rc)
    }
}

@Suite(.serialized)
struct HookTests {
    static let shells = ["bash", "zsh", "fish"]

    @Test(arguments: shells)
    func enteringLeavingSwitchingAndNestingRestoreTheShellExactly(_ name: String) throws {
        let fixture = try HookFixture()
        // The user's own alias of the name the project's alias takes, and (bash) another prompt
        // hook in PROMPT_COMMAND as an array.
        // ... and an exported prompt, which the project's hook must not take away.
        let rc = [
            "bash": "alias hi='echo users-hi'\nPROMPT_COMMAND=('mine=ran')\nexport PS1 PS2='more> '",
            "zsh": "alias hi='echo users-hi'\nexport PS1", "fish": "alias hi 'echo users-hi'",
        ]
        let shell = try fixture.shell(name, rc: rc[name]!)
        let root = fixture.project.dir("proj")
        let oddHash = try runCommand(
            "/bin/sh", ["-c", "printf '%s' \"$ODD\" | sha256sum"], environment: ["ODD": HookFixture.odd]
        ).output
        #expect(try shell.query("[$DEVENV_ACTIVE]") == "[]")

        #expect(
            try shell.query("$DEVENV_ACTIVE|$GREETING|$ODD|$EMPTY|$FROM_HOOK", after: "cd \(root)")
                == "\(root)|hi|changed|now set|yes"
        )
        if name == "bash" { #expect(try shell.query("$mine|$PS1|$PS2") == "ran|$ |more> ") }
        if name == "zsh" { #expect(try shell.query("[$PS1]") == "[$ ]") }
        try shell.send("hello")
        try shell.waitFor { $0.contains("hello 2.1.3") }
        try shell.send("hi")
        try shell.waitFor { $0.contains("alias-works") }
        #expect(try shell.screen().contains("hook of proj"))
        let userPath = name == "fish" ? "set -gx PATH /opt/user-added $PATH" : "export PATH=/opt/user-added:$PATH"
        try shell.send(userPath)

        #expect(try shell.query("[$DEVENV_ACTIVE][$GREETING]", after: "cd ..") == "[][]")
        #expect(try shell.query("", after: "printf '%s' \"$ODD\" | sha256sum; env | grep -c '^EMPTY=$'").isEmpty)
        let screen = try shell.screen()
        #expect(screen.contains(oddHash), "\(screen)")
        let path = try shell.query(name == "fish" ? "$PATH" : "$PATH")
        #expect(path.contains("/opt/user-added"))
        #expect(!path.contains("-devenv-env/bin"))
        try shell.send("hi")
        try shell.waitFor { $0.contains("users-hi") }
        if name == "fish" {
            // The user's function is back without the project alias's completion wrapping.
            #expect(try shell.query("[$(complete -c hi | string join ,)]").contains("alias-works") == false)
        }
        // Empty before stays empty, unset before is unset again, what the hook exported is gone.
        #expect(
            try shell.query("$(env | grep -c '^EMPTY=$')|$(env | grep -c '^GREETING=')|$FROM_HOOK") == "1|0|")

        #expect(
            try shell.query("$DEVENV_ACTIVE|$OTHER|$GREETING", after: "cd \(fixture.project.dir("other"))")
                == "\(fixture.project.dir("other"))|yes|")
        #expect(
            try shell.query("$DEVENV_ACTIVE|$OTHER|$GREETING", after: "cd \(root)/sub")
                == "\(root)|||hi".replacingOccurrences(of: "|||", with: "||"))
        #expect(try shell.query("$DEVENV_ACTIVE|$INNER|$GREETING", after: "cd inner") == "\(root)/sub/inner|yes|")
        #expect(try shell.query("$DEVENV_ACTIVE|$INNER|$GREETING", after: "cd ..") == "\(root)||hi")
        #expect(try shell.query("[$DEVENV_ACTIVE]", after: "cd /") == "[]")
        // The hook keeps the exit status of the last command.
        #expect(try shell.query(name == "fish" ? "[$status]" : "[$?]", after: "cd \(root); false") == "[1]")
    }

    @Test(arguments: shells)
    func aSubshellLeavesQuietlyAndDenyIsSaidOnce(_ name: String) throws {
        let fixture = try HookFixture()
        let shell = try fixture.shell(name)
        let root = fixture.project.dir("proj")
        #expect(try shell.query("[$GREETING]", after: "cd \(root)") == "[hi]")
        // A subshell inherits the record of what to undo, but not the aliases.
        try shell.send(name)
        #expect(try shell.query("[$GREETING]", after: "cd ..") == "[]")
        try shell.send("exit")
        #expect(try shell.query("[$GREETING]") == "[hi]")
        _ = try shell.query("", after: "\(DevenvCLI.binary) deny")
        for _ in 0..<3 { try shell.send("") }
        let screen = try shell.screen()
        #expect(!screen.contains("unalias") && !screen.contains("not found"), "\(screen)")
        #expect(screen.components(separatedBy: "is not allowed").count == 2, "\(screen)")
        #expect(try shell.query("[$GREETING]") == "[]")
    }

    @Test(arguments: shells)
    func aFailedBackgroundRealizationIsReportedOnceAndNotRetriedAtEveryPrompt(_ name: String) throws {
        let fixture = try HookFixture()
        let project = fixture.project
        let root = project.dir("proj")
        try project.dir.sh(
            """
            printf '[broken]\\nversion = "1"\\ndescription = "d"\\nhomepage = "h"\\nlicense = "l"\\norigin = "o"\\n' > pkgs/broken.toml
            printf "script = 'echo cannot build; exit 3'\\n" >> pkgs/broken.toml
            sed -i 's/packages = \\["hello_2"\\]/packages = ["hello_2", "broken"]/' proj/devenv.toml
            """)
        _ = try project.run("allow", in: root)
        let shell = try fixture.shell(name)
        try shell.send("cd \(root)")
        // The failure is seen at the first prompt after the background realization ends.
        func pressEnterUntil(_ condition: (String) -> Bool) throws {
            for _ in 0..<60 where !condition(try shell.screen()) {
                try shell.send("")
                usleep(300_000)
            }
        }
        try pressEnterUntil { $0.contains("realizing \(root) failed: ") }
        #expect(try shell.screen().contains("(after fixing the cause, run `devenv reload` to try again)"))
        // No prompt starts a process in this state, and none repeats the report.
        let processes = try shell.processesStarted(trace: project.dir("strace-\(name).txt")) {
            for _ in 0..<20 { try shell.send("") }
        }
        #expect(processes.isEmpty, "\(processes)")
        #expect(try shell.screen().components(separatedBy: "failed: ").count == 2)
        // `devenv reload` tries again (and it fails again, once more reported once).
        try shell.send("\(DevenvCLI.binary) reload")
        try pressEnterUntil { $0.components(separatedBy: "failed: ").count == 3 }
        #expect(try shell.screen().components(separatedBy: "failed: ").count == 3)
        // An edit tries again too: here the fix.
        try project.dir.sh("sed -i 's/, \"broken\"//' proj/devenv.toml")
        try shell.send("\(DevenvCLI.binary) allow")
        var loaded = false
        for _ in 0..<100 where !loaded {
            usleep(200_000)
            loaded = try shell.query("[$GREETING]") == "[hi]"
        }
        #expect(loaded)
    }

    @Test(arguments: shells)
    func stateRemovedUnderALiveShellIsNoErrorAtThePrompt(_ name: String) throws {
        let fixture = try HookFixture()
        let shell = try fixture.shell(name)
        let root = fixture.project.dir("proj")
        #expect(try shell.query("[$GREETING]", after: "cd \(root)") == "[hi]")
        try fixture.project.dir.sh("rm -rf home/hooks/stamps")
        #expect(try shell.query("[$GREETING]", after: "cd /") == "[]")
        #expect(try shell.query("[$GREETING]", after: "cd \(root)") == "[hi]")
        let screen = try shell.screen()
        #expect(!screen.contains("No such file") && !screen.contains("error"), "\(screen)")
    }

    @Test(arguments: shells)
    func onlyAllowedContentLoads(_ name: String) throws {
        let fixture = try HookFixture()
        _ = try fixture.project.run("deny", in: fixture.project.dir("proj"))
        let shell = try fixture.shell(name)
        let root = fixture.project.dir("proj")
        #expect(try shell.query("[$DEVENV_ACTIVE]", after: "cd \(root)") == "[]")
        #expect(
            try shell.screen().contains("devenv: \(root)/devenv.toml is not allowed; run `devenv allow` to load it"))
        #expect(try shell.query("[$GREETING]", after: "\(DevenvCLI.binary) allow") == "[hi]")
        try fixture.project.dir.sh("sed -i 's/GREETING = \"hi\"/GREETING = \"edited\"/' proj/devenv.toml")
        #expect(try shell.query("[$GREETING]", after: "") == "[]")  // the prompt after Enter unloads
        #expect(
            try shell.screen().contains(
                "devenv: devenv.toml (shell.env.GREETING) in \(root) changed since it was allowed; review the change, then run `devenv allow`"
            ))
        #expect(try shell.query("[$GREETING]", after: "\(DevenvCLI.binary) allow") == "[edited]")
    }

    @Test(arguments: shells)
    func anUnrealizedProjectIsRealizedInTheBackgroundWhileTheShellGoesOn(_ name: String) throws {
        let fixture = try HookFixture()
        let root = fixture.project.dir("proj")
        let shell = try fixture.shell(name)
        #expect(try shell.query("[$GREETING]", after: "cd \(root)") == "[hi]")
        // A new package: the lock is stale and hello_1 is not realized yet.
        try fixture.project.dir.sh(
            "sed -i 's/packages = \\[\"hello_2\"\\]/packages = [\"hello_2\", \"hello_1\"]/' proj/devenv.toml")
        try shell.send("\(DevenvCLI.binary) allow")
        let log = fixture.project.devenv.home + "/hooks/env/" + root.replacingOccurrences(of: "/", with: "%2F") + ".log"
        try shell.waitFor { $0.contains("realizing \(root) in the background (log: \(log))") }
        #expect(try shell.query("[$GREETING]") == "[hi]")  // the last good environment meanwhile
        var loaded = false
        for _ in 0..<100 where !loaded {
            usleep(200_000)
            loaded =
                try shell.query("$DEVENV_ACTIVE_ENVIRONMENT").hasSuffix("-devenv-env")
                && (try fixture.project.run("status", in: root).output.contains("up to date:  yes"))
                && (try shell.query("[$(echo $PATH | tr : ' ' | wc -w)]").isEmpty == false)
        }
        try shell.send("hello")
        try shell.waitFor { $0.contains("hello 2.1.3") }
        #expect(fixture.project.lockText.contains("\"request\": \"hello_1\""))
    }

    @Test(arguments: shells)
    func unchangedPromptsAndEnteringACachedProjectStartNoProcess(_ name: String) throws {
        let fixture = try HookFixture()
        let shell = try fixture.shell(name)
        #expect(try shell.query("[$GREETING]", after: "cd \(fixture.project.dir("proj"))") == "[hi]")
        let root = fixture.project.dir("proj")
        let processes = try shell.processesStarted(trace: fixture.project.dir("strace-\(name).txt")) {
            for _ in 0..<100 { try shell.send("") }
            // Leaving the project and entering it again, from its cached environment, costs none either.
            for _ in 0..<5 {
                #expect(try shell.query("[$GREETING]", after: "cd /") == "[]")
                #expect(try shell.query("[$GREETING]", after: "cd \(root)") == "[hi]")
            }
        }
        // The `echo` queries are builtins too.
        #expect(processes.isEmpty, "\(processes)")
    }
}

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
        #expect(try fixture.run("lock").output == "recorded the output NAR hashes in devenv.lock")
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

struct DirenvTests {
    /// The README's `use_devenv` for direnv's direnvrc, with this build's devenv.
    static func direnvrc() -> String {
        """
        use_devenv() {
          watch_file devenv.toml devenv.lock
          eval "$(\(DevenvCLI.binary) print-env --shell bash)"
        }
        """
    }

    @Test func useDevenvLoadsTheProjectInDirenv() throws {
        let fixture = try ProjectFixture()
        try fixture.dir.sh("mkdir -p config/direnv data && echo 'use devenv' > proj/.envrc")
        try Self.direnvrc().write(toFile: fixture.dir("config/direnv/direnvrc"), atomically: true, encoding: .utf8)
        let environment = [
            "XDG_CONFIG_HOME": fixture.dir("config"), "XDG_DATA_HOME": fixture.dir("data"), "HOME": fixture.dir("home"),
        ]
        #expect(try fixture.run("lock", environment: environment).status == 0)
        _ = try runCommand(
            "/usr/bin/direnv", ["allow", fixture.dir("proj")],
            environment: fixture.devenv.environment.merging(environment) { _, new in new })
        let result = try runCommand(
            "/usr/bin/direnv", ["exec", fixture.dir("proj"), "sh", "-c", "hello; echo $GREETING"],
            environment: fixture.devenv.environment.merging(environment) { _, new in new })
        #expect(result.output == "hello 2.1.3\nhi from \(fixture.dir("proj"))", "\(result.stderr)")
    }
}
