import DevenvBasics
import DevenvBuild
import DevenvProject
import Foundation
import TestSupport
import Testing

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
        // On a terminal, outside CI: the verdicts colored (written as they are, not escaped).
        var environment = fixture.devenv.environment
        environment["CI"] = nil
        let colored = try runCommand(
            "/usr/bin/script", ["-qefc", "'\(DevenvCLI.binary)' check", "/dev/null"], environment: environment,
            currentDirectory: fixture.dir("proj"))
        #expect(colored.output.contains("\u{1B}[32mPASS\u{1B}[0m greets ("), "\(colored.output)")
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
