import DevenvBasics
import DevenvBuild
import DevenvProject
import Foundation
import TestSupport
import Testing

/// Generations as `generations --json` reports them: number → (current, packages).
func generations(_ fixture: ProjectFixture, _ extra: String...) throws -> [(
    number: Int, current: Bool, packages: [String]
)] {
    let result = try fixture.run(["generations", "--json"] + extra)
    let list = try JSONSerialization.jsonObject(with: result.stdout) as! [[String: Any]]
    return list.map {
        (
            $0["number"] as! Int, $0["current"] as! Bool,
            ($0["packages"] as! [[String: Any]]).map { "\($0["name"]!) \($0["version"]!)" }
        )
    }
}

struct GenerationTests {
    @Test func projectsWhosePathsHavePercentSignsKeepTheirOwnGenerations() throws {
        let fixture = try ProjectFixture()
        try fixture.dir.sh(
            """
            mkdir -p 'p%2Fq' p/q
            cp proj/devenv.toml 'p%2Fq/'
            sed 's|path:../pkgs|path:../../pkgs|' proj/devenv.toml > p/q/devenv.toml
            """)
        for directory in ["p%2Fq", "p/q"] {
            #expect(try fixture.run(["develop", "-c", "true"], in: fixture.dir(directory)).status == 0)
        }
        let dry = try fixture.run(["gc", "--dry-run"])
        #expect(!dry.output.contains("is gone"), "\(dry.output)")
        for directory in ["p%2Fq", "p/q"] {
            #expect(try generations(fixture, "-C", fixture.dir(directory)).map(\.number) == [1])
        }
    }

    @Test func enteringThroughTheHookRecordsAChangedEnvironment() throws {
        let fixture = try ProjectFixture()
        try fixture.setPackages("\"hello_2\"")
        #expect(try fixture.run("develop", "-c", "true").status == 0)
        try "[inputs]\npkgs = \"path:../pkgs\"\n[shell]\npackages = [\"hello_2\"]\nenv = { MODE = \"new\" }\n"
            .write(toFile: fixture.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        _ = try fixture.run("allow")
        #expect(try fixture.run("export", "bash").output.contains("__devenv_set MODE 'new'"))
        let list = try generations(fixture)
        #expect(list.map(\.number) == [1, 2] && list.last?.current == true)
        let lines = try fixture.run(["generations"]).output.split(separator: "\n")
        #expect(lines.last?.hasPrefix("* 2  ") == true && lines.last?.hasSuffix("  changed shell.env") == true)
        #expect(try fixture.run(["diff"]).output.contains("\n  changed shell.env\n"))
    }

    @Test func everyChangeIsAGenerationAndRollbackWorksOffline() throws {
        let fixture = try ProjectFixture()
        try fixture.setPackages("\"hello_2\"")
        #expect(try fixture.run("develop", "-c", "hello").output == "hello 2.1.3")
        #expect(try fixture.run("develop", "-c", "hello").status == 0)  // nothing changed: no new generation
        try fixture.dir.sh("echo '# only a comment' >> proj/devenv.toml")
        #expect(try fixture.run("develop", "-c", "hello").status == 0)  // nor for a comment
        try fixture.setPackages("\"hello_1\"")
        #expect(try fixture.run("develop", "-c", "hello").output == "hello 1.0")
        var list = try generations(fixture)
        #expect(list.map(\.number) == [1, 2])
        #expect(list.map(\.current) == [false, true])
        #expect(list.map(\.packages) == [["hello_2 2.1.3"], ["hello_1 1.0"]])
        let text = try fixture.run("generations").output.split(separator: "\n").map(String.init)
        #expect(text.count == 2 && text[1].hasPrefix("* 2  ") && text[1].contains("hello_2 2.1.3 → ") == false)
        #expect(text[1].contains("- hello_2 2.1.3") && text[1].contains("+ hello_1 1.0"))
        let diff = try fixture.run("diff").output
        #expect(diff.hasPrefix("generation 1 → 2"))
        #expect(diff.contains("+ hello_1 1.0  \(fixture.devenv.storeDirectory)/"))
        #expect(diff.contains("- hello_2 2.1.3"))
        let lines = diff.split(separator: "\n")
        // Each package with the change in closure size it brings.
        #expect(
            lines.first { $0.hasPrefix("+ hello_1") }?.range(
                of: #"  \+[0-9.]+ [KMG]?i?B$"#, options: .regularExpression) != nil, "\(diff)")
        #expect(
            lines.first { $0.hasPrefix("- hello_2") }?.range(of: #"  -[0-9.]+ [KMG]?i?B$"#, options: .regularExpression)
                != nil, "\(diff)")
        #expect(diff.contains("closure size: "))

        // Offline: a dead proxy and an unreachable mirror, and the server gone from the URLs.
        try "[mirrors]\n\"http://127.0.0.1:\(fixture.server.port)/\" = \"http://127.0.0.1:1/\"\n[fetch]\nattempts = 1\n"
            .write(toFile: fixture.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        let offline = ["HTTP_PROXY": "http://127.0.0.1:1", "http_proxy": "http://127.0.0.1:1"]
        let manifestBefore = try String(contentsOfFile: fixture.dir("proj/devenv.toml"), encoding: .utf8)
        _ = try fixture.run("allow")
        #expect(
            try fixture.run("rollback", environment: offline).output
                == "rolled back to generation 1 (recorded as generation 3)")
        #expect(try String(contentsOfFile: fixture.dir("proj/devenv.toml"), encoding: .utf8).contains("hello_2"))
        let back = try fixture.run("develop", "--locked", "-c", "hello", environment: offline)
        #expect(back.output == "hello 2.1.3", "\(back.stderr)")
        #expect(!back.stderr.contains("fetched"))
        // An allowed project stays allowed: the hook loads the restored environment at once.
        let entered = try fixture.run("export", "bash", environment: offline)
        #expect(entered.output.contains("__devenv_begin"), "\(entered.stderr)")
        list = try generations(fixture)
        #expect(list.map(\.number) == [1, 2, 3] && list.last?.current == true)
        // Undoing the rollback is a rollback too.
        #expect(
            try fixture.run("rollback", environment: offline).output
                == "rolled back to generation 2 (recorded as generation 4)")
        #expect(try String(contentsOfFile: fixture.dir("proj/devenv.toml"), encoding: .utf8) == manifestBefore)
        #expect(try fixture.run("develop", "--locked", "-c", "hello", environment: offline).output == "hello 1.0")
        #expect(
            try fixture.run("rollback", "--to", "1").output == "rolled back to generation 1 (recorded as generation 5)")
        let missing = try fixture.run("rollback", "--to", "99")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("has no generation 99"))
    }

}
