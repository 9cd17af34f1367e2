import DevenvBasics
import DevenvBuild
import DevenvProject
import Foundation
import TestSupport
import Testing

@Suite(.serialized)
struct GarbageCollectionTests {
    /// A project with two generations (hello_2, then hello_1) and a stray path nothing roots.
    func prepared() throws -> (ProjectFixture, stray: String, first: String, second: String) {
        let fixture = try ProjectFixture()
        try fixture.setPackages("\"hello_2\"")
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        try fixture.setPackages("\"hello_1\"")
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        try fixture.dir.sh("mkdir stray && echo stray > stray/file")
        let stray = try fixture.run("store", "add", fixture.dir("stray")).output
        let environments =
            try JSONSerialization.jsonObject(with: try fixture.run("generations", "--json").stdout) as! [[String: Any]]
        return (fixture, stray, environments[0]["environment"] as! String, environments[1]["environment"] as! String)
    }

    @Test func aDryRunChangesNothingAndCollectingKeepsRoots() throws {
        let (fixture, stray, first, second) = try prepared()
        let before = try fixture.run("store", "ls").output
        let dry = try fixture.run("gc", "--dry-run")
        #expect(dry.output.contains("would remove \(stray)"))
        #expect(!dry.output.contains("would remove \(first)") && !dry.output.contains("would remove \(second)"))
        #expect(try fixture.run("store", "ls").output == before)
        let collected = try fixture.run("gc")
        #expect(collected.output.contains("removed \(stray)"))
        #expect(collected.output.split(separator: "\n").last?.hasPrefix("freed ") == true)
        #expect(!FileManager.default.fileExists(atPath: stray))
        #expect(FileManager.default.fileExists(atPath: first) && FileManager.default.fileExists(atPath: second))
        #expect(try fixture.run("store", "verify", "--check-contents").status == 0)

        let roots =
            try JSONSerialization.jsonObject(with: try fixture.run("gc", "--roots", "--json").stdout)
            as! [[String: Any]]
        #expect(roots.map { $0["kind"] as? String }.allSatisfy { $0 == "generation" })
        let sizes = roots.map { $0["closureSize"] as! Int }
        #expect(sizes == sizes.sorted(by: >))
        let hello = try fixture.run("develop", "-c", "sh", "-c", "echo $HELLO_HOME").output
        let chain = try fixture.run("store", "why-depends", second, hello).output.split(separator: "\n").map(
            String.init)
        // Under the environment, the file that names hello: its link to hello's program.
        #expect(chain.count == 3 && chain[0] == second && chain[2] == "  → " + hello)
        let hashPart = String(hello.split(separator: "/").last!.prefix(32))
        #expect(chain[1].hasPrefix("  bin/hello: ") && chain[1].contains(hashPart + "-hello"), "\(chain)")
        #expect(try fixture.run("store", "why-depends", hello, second).status != 0)
        let text = try fixture.run("gc", "--roots").output.split(separator: "\n")
        #expect(text.count == roots.count && text.allSatisfy { $0.contains("\tgeneration \(fixture.dir("proj"))#") })
    }

    @Test func aRunningCommandKeepsItsEnvironmentAndADeadOnesRootIsIgnored() throws {
        let (fixture, _, _, _) = try prepared()
        // An ad-hoc environment belongs to no project: only the running process roots it.
        let running = try ChildProcess(
            DevenvCLI.binary,
            [
                "shell", "hello_1", "hello_2", "--packages", fixture.dir("pkgs"), "-c", "sh", "-c",
                "echo $PATH > path.new && mv path.new path; sleep 30",
            ],
            environment: fixture.devenv.environment, directory: fixture.dir.path)
        defer { running.kill() }
        // Written whole, then renamed: once the file is there, it is complete.
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: fixture.dir("path")) {
            usleep(50_000)
        }
        let bin = try String(contentsOfFile: fixture.dir("path"), encoding: .utf8).prefix { $0 != ":" }
        let environment = String(bin.dropLast("/bin".count))
        #expect(environment.hasSuffix("-devenv-env"))
        #expect(try fixture.run("gc").status == 0)
        #expect(FileManager.default.fileExists(atPath: environment))
        running.kill()
        // A root file left by a process that is gone names the same path: it counts for nothing.
        try "\(environment)\n".write(
            toFile: fixture.devenv.home + "/temproots/999999999", atomically: true, encoding: .utf8)
        #expect(try fixture.run("gc").output.contains("removed \(environment)"))
        #expect(!FileManager.default.fileExists(atPath: fixture.devenv.home + "/temproots/999999999"))
    }

    @Test func oldGenerationsGoUnlessALiveShellUsesThem() throws {
        let fixture = try ProjectFixture()
        try fixture.setPackages("\"hello_2\"")
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        _ = try fixture.run("allow")
        let shell = try ShellSession(
            "bash", devenv: fixture.devenv, home: fixture.dir("shell-home"), start: fixture.dir.path)
        let first = try shell.query("$DEVENV_ACTIVE_ENVIRONMENT", after: "cd \(fixture.dir("proj"))")
        #expect(first.hasSuffix("-devenv-env"))
        // Generation 2 is made while the shell sits at its prompt with the first environment.
        try fixture.setPackages("\"hello_1\"")
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        let old = try fixture.run("gc", "-d")
        #expect(old.output.contains("deleting generation 1 of \(fixture.dir("proj"))"))
        #expect(FileManager.default.fileExists(atPath: first))
        #expect(try generations(fixture).map(\.number) == [2])
        #expect(try shell.query("[$DEVENV_ACTIVE]", after: "cd /") == "[]")
        #expect(try fixture.run("gc").output.contains("removed \(first)"))
        #expect(try fixture.run("develop", "-c", "hello").output == "hello 1.0")
    }

    @Test func theStampOfAShellThatIsGoneRootsNothingThoughItsPidIsTaken() throws {
        let (fixture, _, first, _) = try prepared()
        // The pid now belongs to a process that started after the stamp was written.
        let newcomer = try ChildProcess("/bin/sleep", ["30"])
        defer { newcomer.kill() }
        let stamps = fixture.devenv.home + "/hooks/stamps"
        try FileManager.default.createDirectory(atPath: stamps, withIntermediateDirectories: true)
        try first.write(toFile: "\(stamps)/\(newcomer.pid)", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: "\(stamps)/\(newcomer.pid)")
        #expect(try fixture.run("gc", "-d").output.contains("removed \(first)"))
    }

    @Test func deleteOlderThanFollowsGenerationTimes() throws {
        let (fixture, _, _, _) = try prepared()
        let directory =
            fixture.devenv.home + "/projects/" + PathAsFileName.encode(fixture.dir("proj"))
        try fixture.dir.sh(
            "sed -i 's/\"created\" : [0-9]*/\"created\" : 1000/' '\(directory)/1.json' '\(directory)/2.json'")
        let kept = try fixture.run("gc", "--delete-older-than", "30d", "--dry-run")
        #expect(kept.output.contains("deleting generation 1 of"))
        #expect(!kept.output.contains("deleting generation 2 of"))  // the current one never goes
        #expect(try generations(fixture).map(\.number) == [1, 2])
        #expect(try fixture.run("gc", "--delete-older-than", "30d").status == 0)
        #expect(try generations(fixture).map(\.number) == [2])
        let bad = try fixture.run("gc", "--delete-older-than", "soon")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("is not a duration"))
    }

    @Test func goneProjectsAndExplicitRoots() throws {
        let (fixture, stray, first, _) = try prepared()
        #expect(try fixture.run("store", "add-root", stray).status == 0)
        #expect(try fixture.run("gc").status == 0)
        #expect(FileManager.default.fileExists(atPath: stray))
        #expect(try fixture.run("store", "remove-root", stray).status == 0)
        try fixture.dir.sh("rm -rf proj")
        let gone = try fixture.run("gc", in: fixture.dir.path)
        #expect(
            gone.output.contains("project \(fixture.dir("proj")) is gone: its 2 generation(s) no longer root anything"))
        #expect(gone.output.contains("removed \(stray)"))
        #expect(!FileManager.default.fileExists(atPath: first))
        #expect(try fixture.run("store", "verify", "--check-contents", in: fixture.dir.path).status == 0)
    }

    @Test func maxFreedStopsEarly() throws {
        let (fixture, _, _, _) = try prepared()
        try fixture.dir.sh("for i in 1 2 3 4 5; do mkdir s$i && head -c 100000 /dev/urandom > s$i/f; done")
        for i in 1...5 { _ = try fixture.run("store", "add", fixture.dir("s\(i)")) }
        let limited = try fixture.run("gc", "--max-freed", "150K")
        let large = limited.output.split(separator: "\n").filter { line in
            line.hasPrefix("removed ") && (1...5).contains { line.hasSuffix("-s\($0)") }
        }
        #expect(large.count == 2)  // the second 100 KB path crosses 150 KB; nothing after it goes
    }

    @Test func aKilledCollectionLeavesAVerifiableStore() throws {
        let fixture = try ProjectFixture()
        try fixture.dir.sh("for i in $(seq 1 200); do mkdir -p many/p$i && echo $i > many/p$i/f; done")
        _ = try runCommand(
            "/bin/sh", ["-c", "cd many && exec \"$0\" store add p*", DevenvCLI.binary],
            environment: fixture.devenv.environment,
            currentDirectory: fixture.dir.path)
        for delay in [0, 20_000, 60_000, 120_000] {
            let log = open("/dev/null", O_WRONLY)
            let process = try fixture.devenv.start(["gc"])
            usleep(useconds_t(delay))
            process.kill()
            close(log)
            let verify = try fixture.run("store", "verify", "--check-contents", in: fixture.dir.path)
            #expect(verify.status == 0, "after a kill at \(delay) µs: \(verify.stderr)")
        }
        #expect(try fixture.run("gc", in: fixture.dir.path).status == 0)
        #expect(try fixture.run("store", "ls", in: fixture.dir.path).output == "")
    }

    @Test func automaticCollectionRunsOnceADayInTheBackground() throws {
        let (fixture, stray, _, _) = try prepared()
        try "[gc]\nautomatic = true\nkeep = \"30d\"\n".write(
            toFile: fixture.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        #expect(try fixture.run("store", "ls").status == 0)
        try expectCollected(stray, fixture)
        try fixture.dir.sh("mkdir again && echo again > again/f")
        let again = try fixture.run("store", "add", fixture.dir("again")).output
        usleep(1_000_000)
        #expect(FileManager.default.fileExists(atPath: again))  // not twice the same day
        // One that gives up (another devenv process holds the store) leaves the day open.
        let holder = try ChildProcess("/usr/bin/flock", ["-s", fixture.devenv.home + "/gc.lock", "sleep", "30"])
        defer { holder.kill() }
        usleep(300_000)
        #expect(try fixture.run("gc", "--automatic").output.contains("collecting later"))
        #expect(!FileManager.default.fileExists(atPath: fixture.devenv.home + "/gc.last"))
    }

    @Test func automaticCollectionAlsoStartsFromCommandsThatExec() throws {
        let (fixture, stray, _, _) = try prepared()
        try "[gc]\nautomatic = true\n".write(
            toFile: fixture.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        try expectCollected(stray, fixture)
    }

    /// Waits for the background collection to remove `stray` (and to have marked the day).
    func expectCollected(_ stray: String, _ fixture: ProjectFixture) throws {
        var gone = false
        for _ in 0..<150 where !gone {
            usleep(100_000)
            gone = !FileManager.default.fileExists(atPath: stray)
        }
        #expect(gone)
        #expect(FileManager.default.fileExists(atPath: fixture.devenv.home + "/gc.last"))
    }

    @Test func aGenerationRootsEveryPackageOfItsLockNotOnlyWhatItsEnvironmentLinks() throws {
        let fixture = try ProjectFixture()
        // Both provide `hello`; the environment links hello_2's, so hello_1 is in no closure of it.
        try fixture.setPackages("\"hello_2\", \"hello_1\"")
        try
            (try String(contentsOfFile: fixture.dir("proj/devenv.toml"), encoding: .utf8)
            + "[shells.old]\npackages = [\"hello_1\"]\n").write(
                toFile: fixture.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        // As a generation recorded by an older devenv: only its environment is a recorded root.
        try fixture.dir.sh(
            """
            python3 -c "import sqlite3; db = sqlite3.connect('home/db.sqlite'); db.execute(\\"DELETE FROM Roots WHERE path NOT LIKE '%-devenv-env'\\"); db.commit()"
            """)
        let collected = try fixture.run("gc")
        let removed = collected.output.split(separator: "\n").filter { $0.hasPrefix("removed ") }
        #expect(!removed.contains { $0.hasSuffix("-hello_1-1.0") || $0.hasSuffix("-hello_2-2.1.3") }, "\(removed)")
        // Nothing to fetch afterwards: the sources are gone.
        try fixture.dir.sh("rm served/*.tar.gz")
        let again = try fixture.run("develop", "--frozen", "-c", "hello")
        #expect(again.output == "hello 2.1.3", "\(again.stderr)")
        #expect(try fixture.run("develop", "--frozen", "--shell", "old", "-c", "hello").output == "hello 1.0")
    }
}
