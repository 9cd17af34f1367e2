import DevenvBasics
import DevenvBuild
import DevenvProject
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
        #expect(text.contains("\n  \"version\": 2\n"))
        #expect(text.contains("\"request\": \"hello_2\""))
        #expect(text.contains("\"request\": \"hello@1\""))
        #expect(text.contains("\"type\": \"path\""))
        let lock = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect(
            Array(lock.keys).sorted() == ["derivations", "inputs", "manifestHash", "shells", "storeDir", "version"])
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
        let derivations = lock["derivations"] as! [String: [String: Any]]
        func version(_ shell: String) -> String? {
            (shells[shell]?["x86_64-linux"]?.first?["derivation"] as? String).flatMap {
                derivations[$0]?["version"] as? String
            }
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
        let mac = (lock["derivations"] as! [String: [String: Any]])[
            (systems["aarch64-darwin"] as! [[String: Any]])[0]["derivation"] as! String]!
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

    @Test func aVersion1LockWithNestedDerivationsIsStillReadAndKept() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        try fixture.dir.sh(
            """
            python3 - <<'PY'
            import json
            lock = json.load(open("proj/devenv.lock"))
            table = lock.pop("derivations")
            def nested(key):
                entry = dict(table[key])
                entry["dependencies"] = [nested(k) for k in entry["dependencies"]]
                return entry
            for systems in lock["shells"].values():
                for packages in systems.values():
                    for package in packages:
                        package["derivation"] = nested(package["derivation"])
            lock["version"] = 1
            json.dump(lock, open("proj/devenv.lock", "w"), indent=2, sort_keys=True)
            PY
            """)
        let before = fixture.lockText
        let result = try fixture.run("develop", "--frozen", "-c", "hello")
        #expect(result.status == 0 && result.output == "hello 2.1.3", "\(result.stderr)")
        #expect(fixture.lockText == before)
    }

    @Test func aLockFromANewerDevenvIsRefused() throws {
        let fixture = try ProjectFixture()
        #expect(try fixture.run("lock").status == 0)
        try fixture.lockText.replacingOccurrences(of: "\"version\": 2\n", with: "\"version\": 99\n")
            .write(toFile: fixture.dir("proj/devenv.lock"), atomically: true, encoding: .utf8)
        let result = try fixture.run("develop", "-c", "true")
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("devenv.lock has version 99, newer than this devenv understands (2); upgrade devenv")
        )
    }
}
