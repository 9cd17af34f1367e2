import DevenvBasics
import DevenvPackages
import DevenvProject
import Foundation
import TestSupport
import Testing

/// What a cloned repository can put in devenv.toml and devenv.lock: every input gets an error
/// (with its place), never a signal and never a silently changed value.
struct HostileInputTests {
    @Test func invalidUTF8InTheManifestIsAnErrorAtItsPlace() throws {
        let fixture = try ProjectFixture()
        var bytes = Data("[shell]\npackages = []\nenv = { A = \"".utf8)
        bytes += Data([0xC3, 0x28]) + Data("\" }\n".utf8)
        try bytes.write(to: URL(fileURLWithPath: fixture.dir("proj/devenv.toml")))
        for arguments in [["develop", "-c", "true"], ["lock"], ["check"]] {
            let result = try runCommand(
                DevenvCLI.binary, arguments, environment: fixture.devenv.environment,
                currentDirectory: fixture.dir("proj"))
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("devenv.toml:3:14: invalid UTF-8 (byte 0xC3); TOML files must be UTF-8"))
        }
    }

    /// What an error quotes from a file is shown with its control characters escaped: a
    /// repository cannot erase, rewrite or reorder what devenv prints on a terminal.
    @Test func controlCharactersAnErrorQuotesAreShownEscaped() throws {
        let fixture = try ProjectFixture(manifest: "[shell]\npackages = [\"a\\u001b[2Kb\\rc\\u202e\"]\n")
        let result = try fixture.run("lock")
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown package 'a\\u{1B}[2Kb\\u{D}c\\u{202E}'"), "\(result.stderr)")
        #expect(!result.stderr.unicodeScalars.contains { [0x1B, 0x0D, 0x202E].contains($0.value) })
    }

    @Test func aLockMustBeUTF8WithoutRawControlCharacters() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        let text = fixture.lockText
        var bytes = Data(text.utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "h"))!
        bytes[at] = 0xFF
        try bytes.write(to: URL(fileURLWithPath: fixture.dir("proj/devenv.lock")))
        let invalid = try fixture.run("develop", "--frozen", "-c", "true")
        #expect(invalid.status == 1)
        #expect(invalid.stderr == "Error: devenv.lock is not valid UTF-8\n")
        try Data(text.replacingOccurrences(of: "\"request\": \"hello_2\"", with: "\"request\": \"hello_2\u{1}\"").utf8)
            .write(to: URL(fileURLWithPath: fixture.dir("proj/devenv.lock")))
        let control = try fixture.run("develop", "--frozen", "-c", "true")
        #expect(control.status == 1)
        #expect(control.stderr.contains("a control character in a string must be escaped"), "\(control.stderr)")
    }

    @Test func deeplyNestedFilesAreErrorsEvenWhereTheHookLooks() throws {
        let fixture = try ProjectFixture(manifest: "[shell]\npackages = []\n")
        let arrays = String(repeating: "[", count: 60_000) + String(repeating: "]", count: 60_000)
        try "{\"version\": 1, \"manifestHash\": \(arrays)}".write(
            toFile: fixture.dir("proj/devenv.lock"), atomically: true, encoding: .utf8)
        // What the hook runs on `cd` into a never-allowed project, then into an allowed one.
        let unknown = try fixture.run("export", "bash")
        #expect(unknown.status == 0)
        #expect(unknown.stderr.contains("is not allowed"))
        _ = try fixture.run("allow")
        let allowed = try fixture.run("export", "bash")
        #expect(allowed.status == 0)
        #expect(allowed.stderr.contains("nested deeper than 256 levels"), "\(allowed.stderr)")
        let develop = try fixture.run("develop", "-c", "true")
        #expect(develop.status == 1)
        #expect(develop.stderr.hasPrefix("Error: devenv.lock is not valid JSON: invalid JSON at byte "))

        let parts = Array(repeating: "a", count: 50_000).joined(separator: ".")
        try "[shell]\n\(parts) = 1\n".write(toFile: fixture.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        for arguments in [["export", "bash"], ["status"], ["check"], ["lock"]] {
            let result = try runCommand(
                DevenvCLI.binary, arguments, environment: fixture.devenv.environment,
                currentDirectory: fixture.dir("proj"))
            #expect(result.status < 128, "\(arguments) died of a signal")
        }
    }

    static let lockCases: [(String, String)] = [
        ("lock['version'] = -1", "devenv.lock is damaged: version must be at least 1, not -1"),
        (
            "lock['inputs']['pkgs']['type'] = 'git'",
            "devenv.lock is damaged: inputs.pkgs.type is \"git\", but the spec \"path:../pkgs\" is a path input"
        ),
        (
            "lock['shells']['default']['evil-os'] = lock['shells']['default']['x86_64-linux']",
            "devenv.lock is damaged: shells.default.evil-os \"evil-os\" is not a system devenv knows"
        ),
        (
            "pkg['outPath'] = pkg['outPath'][:-5] + 'other'",
            "devenv.lock is damaged: shells.default.x86_64-linux[0].outPath is not the output path of its derivation"
        ),
        (
            "pkg['env']['A;touch F'] = 'x'",
            "devenv.lock is damaged: shells.default.x86_64-linux[0].env has \"A;touch F\", which is not a variable name"
        ),
        (
            "drv['paths'] = ['bin\\\"; touch F; \\\"']",
            "devenv.lock is damaged: derivations.KEY.paths[0] \"bin\\\"; touch F; \\\"\" is not a directory inside the output"
        ),
        ("drv['version'] = '9'", "devenv.lock is damaged: derivations.KEY does not hash to its key"),
        (
            "drv['dependencies'] = [pkg['derivation']]",
            "devenv.lock is damaged: derivations.KEY.dependencies form a cycle through KEY"
        ),
        (
            "drv['dependencies'] = ['0' * 64]",
            "devenv.lock is damaged: derivations.KEY.dependencies name \(String(repeating: "0", count: 64)), which derivations lacks"
        ),
        (
            "pkg['derivation'] = '1' * 64",
            "devenv.lock is damaged: shells.default.x86_64-linux[0].derivation names \(String(repeating: "1", count: 64)), which derivations lacks"
        ),
        (
            "pkg['input'] = 'nope'",
            "devenv.lock is damaged: shells.default.x86_64-linux[0].input names \"nope\", which 'inputs' lacks"
        ),
        (
            "pkg['debian'] = \(debianPin); pkg['debian']['debs'][0]['filename'] = 'pool/../../etc/passwd'",
            "devenv.lock is damaged: shells.default.x86_64-linux[0].debian.debs[0].filename \"pool/../../etc/passwd\" is not a pool path"
        ),
        (
            "pkg['debian'] = \(debianPin); pkg['debian']['debs'][0]['sha256'] = 'A' * 64",
            "devenv.lock is damaged: shells.default.x86_64-linux[0].debian.debs[0].sha256 \"\(String(repeating: "A", count: 64))\" is not a SHA-256 in hex"
        ),
        (
            "pkg['debian'] = \(debianPin); pkg['debian']['date'] = '$(touch F)'",
            "devenv.lock is damaged: shells.default.x86_64-linux[0].debian.date \"$(touch F)\" is not a time as YYYYMMDDTHHMMSSZ"
        ),
        (
            "pkg['debian'] = \(debianPin); pkg['debian']['suite'] = '../trixie'",
            "devenv.lock is damaged: shells.default.x86_64-linux[0].debian.suite \"../trixie\" is not a Debian suite"
        ),
        (
            "pkg['debian'] = \(debianPin); pkg['debian']['debs'][0]['suite'] = 'trixie/../x'",
            "devenv.lock is damaged: shells.default.x86_64-linux[0].debian.debs[0].suite \"trixie/../x\" is not a Debian suite"
        ),
        (
            "pkg['request'] = 'debian:trixie/jq'",
            "devenv.lock is damaged: shells.default.x86_64-linux[0].input \"pkgs\" is not the Debian suite of \"debian:trixie/jq\""
        ),
    ]

    /// A valid `debian` pin of a lock package, as Python.
    static let debianPin =
        "{'suite': 'trixie', 'date': '20261130T000000Z', 'debs': [{'package': 'jq', 'version': '1.7-1', 'architecture': 'amd64', 'filename': 'pool/main/j/jq/jq_1.7-1_amd64.deb', 'sha256': 'a' * 64, 'size': 1}]}"

    @Test(arguments: lockCases.indices)
    func aLockIsReadStrictly(_ index: Int) throws {
        let (edit, message) = Self.lockCases[index]
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        let key = try fixture.dir.sh(
            """
            python3 - <<'PY'
            import json
            lock = json.load(open("proj/devenv.lock"))
            pkg = lock["shells"]["default"]["x86_64-linux"][0]
            key = pkg["derivation"]
            drv = lock["derivations"][key]
            \(edit)
            json.dump(lock, open("proj/devenv.lock", "w"), indent=2)
            print(key)
            PY
            """)
        let result = try fixture.run("develop", "--frozen", "-c", "true")
        #expect(result.status == 1)
        #expect(
            result.stderr.hasPrefix("Error: " + message.replacingOccurrences(of: "KEY", with: key)), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: fixture.dir("proj/F")))
    }

    @Test func noManifestOrLockCrashesTheReaders() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        let alphabet = [
            "[", "]", "{", "}", ".", "a.", "\"", "'", "'''", "=", "\n", ",", "#", "\\", "env = {", "\u{0}", "ü", "-1",
            "null", "\"x\": [", "\"dependencies\": [", "[shells.x]\n", "\"version\": ",
        ]
        for bytes in Fuzzing.mutations(of: ProjectFixture.manifest, alphabet: alphabet, count: 300) {
            guard let text = try? TOMLInputCheck.text(of: Data(bytes), file: "devenv.toml") else { continue }
            _ = try? Manifest(parsing: text, file: "devenv.toml")
        }
        var read = 0
        for bytes in Fuzzing.mutations(of: fixture.lockText, alphabet: alphabet, count: 300, randomSeed: 2) {
            if (try? Lockfile(parsing: String(decoding: bytes, as: UTF8.self))) != nil { read += 1 }
        }
        #expect(read > 0)
    }
}

/// What a cloned repository can put beside devenv.toml: nothing devenv writes follows its links.
struct PlantedFileTests {
    @Test func aPlantedRealizeLogLinkIsNeverWrittenThrough() throws {
        let fixture = try ProjectFixture()
        try fixture.dir.sh(
            """
            printf 'precious\\n' > victim
            mkdir -p proj/.devenv && ln -s ../../victim proj/.devenv/realize.log
            """)
        _ = try fixture.run("allow")
        let started = try fixture.run("export", "bash")
        #expect(started.stderr.contains("realizing \(fixture.dir("proj")) in the background"), "\(started.stderr)")
        // The background realization finishes: the cache appears.
        let cache = fixture.devenv.home + "/hooks/env/" + fixture.dir("proj").replacingOccurrences(of: "/", with: "%2F")
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: cache + ".bash") { usleep(50_000) }
        #expect(FileManager.default.fileExists(atPath: cache + ".bash"))
        #expect(try String(contentsOfFile: fixture.dir("victim"), encoding: .utf8) == "precious\n")
        #expect(try String(contentsOfFile: cache + ".log", encoding: .utf8).contains("hello_2"))
    }

    @Test func aDevenvDirectoryThatIsALinkIsRefused() throws {
        let fixture = try ProjectFixture()
        try fixture.dir.sh("mkdir elsewhere && ln -s ../elsewhere proj/.devenv")
        let develop = try fixture.run("develop", "-c", "true")
        #expect(develop.status == 1)
        #expect(
            develop.stderr
                == "Error: \(fixture.dir("proj"))/.devenv is a symbolic link; devenv does not use a project whose .devenv points elsewhere (remove it)\n"
        )
        _ = try fixture.run("allow")
        let export = try fixture.run("export", "bash")
        #expect(!export.output.contains("__devenv_begin"))
        #expect(export.stderr.contains(".devenv is a symbolic link"))
        try fixture.dir.sh("rm proj/.devenv && touch proj/.devenv")
        #expect(try fixture.run("develop", "-c", "true").stderr.contains(".devenv is not a directory of yours"))
        if getuid() == 0 {
            try fixture.dir.sh("rm proj/.devenv && mkdir proj/.devenv && chown nobody proj/.devenv")
            #expect(try fixture.run("develop", "-c", "true").stderr.contains(".devenv is not a directory of yours"))
        }
        try fixture.dir.sh("rm -rf proj/.devenv && mkdir proj/.devenv")
        #expect(try fixture.run("develop", "-c", "true").status == 0)
    }
}

/// Trees from inputs (a git repository, an archive) are anyone's: no depth crashes devenv.
struct DeepTreeTests {
    @Test func aGitInputNestedTooDeeplyIsAnErrorAndLeavesNothing() throws {
        let fixture = try ProjectFixture(
            manifest: "[inputs]\ndeep = \"git+file://REPO?ref=main\"\n[shell]\npackages = [\"deep.hello_2\"]\n")
        try fixture.dir.sh(
            """
            export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@example.com
            git init -q -b main repo && cd repo
            tree=$(printf '100644 blob %s\\tf\\n' "$(echo x | git hash-object -w --stdin)" | git mktree)
            for i in $(seq 300); do tree=$(printf '040000 tree %s\\td\\n' "$tree" | git mktree); done
            git update-ref refs/heads/main "$(git commit-tree "$tree" -m deep)"
            cd .. && sed -i "s|REPO|$PWD/repo|" proj/devenv.toml
            """)
        let lock = try fixture.run("lock")
        #expect(lock.status == 1)
        #expect(lock.stderr.contains("directories nested deeper than 256"), "\(lock.stderr)")
        // Nothing half-written stays to trouble the next command.
        let staging = fixture.devenv.storeDirectory + "/.tmp"
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).isEmpty)
        #expect(try fixture.run("store", "verify").status == 0)
    }
}
