import DevenvBasics
import DevenvBuild
import DevenvProject
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
