import DevenvBasics
import DevenvBuild
import DevenvProject
import Foundation
import TestSupport
import Testing

struct ProfileCommandTests {
    @Test func theProfileHasGenerationsAndABinDirectory() throws {
        let fixture = try ProjectFixture()
        let bin = fixture.devenv.home + "/bin"
        let install = try fixture.run(["profile", "install", "hello_2", "--packages", fixture.dir("pkgs")])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.output.contains("hello_2 2.1.3"))
        #expect(try runCommand(bin + "/hello", []).output == "hello 2.1.3")
        #expect(try fixture.run(["profile", "remove", "hello_2"]).status == 0)
        #expect(try fixture.run(["profile", "install", "hello_1"]).status == 0)
        #expect(try runCommand(bin + "/hello", []).output == "hello 1.0")
        #expect(try fixture.run(["profile", "list"]).output.hasPrefix("hello_1 1.0\t"))
        #expect(try fixture.run(["profile", "rollback"]).output.hasPrefix("rolled back to generation 2"))
        #expect(try fixture.run(["profile", "rollback"]).output.hasPrefix("rolled back to generation 3"))
        #expect(try runCommand(bin + "/hello", []).output == "hello 1.0")
        #expect(try fixture.run(["profile", "rollback", "--to", "1"]).status == 0)
        #expect(try runCommand(bin + "/hello", []).output == "hello 2.1.3")
        let list =
            try JSONSerialization.jsonObject(with: try fixture.run(["profile", "generations", "--json"]).stdout)
            as! [[String: Any]]
        #expect(list.count == 6)
        try fixture.publish("hello_2", version: "2.2.0")
        #expect(try fixture.run(["profile", "upgrade"]).output.contains("hello_2 2.2.0"))
        #expect(try runCommand(bin + "/hello", []).output == "hello 2.2.0")
    }

    @Test func profileProgramsGetTheirPackagesVariablesAndConflictsAreNamed() throws {
        let fixture = try ProjectFixture()
        try """
        [where]
        version = "1"
        description = "Says where it is"
        homepage = "h"
        license = "l"
        origin = "o"
        env = { WHERE_HOME = "$out", WHERE_NOTE = "it's $out" }
        script = '''
        mkdir -p "$out/bin"
        printf '#!/bin/sh\\necho "$WHERE_HOME|$WHERE_NOTE|$0"\\n' > "$out/bin/where"
        chmod 755 "$out/bin/where"
        '''
        """.write(toFile: fixture.dir("pkgs/where.toml"), atomically: true, encoding: .utf8)
        let install = try fixture.run(["profile", "install", "where", "hello_2", "--packages", fixture.dir("pkgs")])
        #expect(install.status == 0, "\(install.stderr)")
        let info = try JSONSerialization.jsonObject(
            with: try fixture.run(["info", "where", "--json", "--packages", fixture.dir("pkgs")]).stdout)
        let home = (info as? [String: Any])?["storePath"] as? String ?? "?"
        let shown = try runCommand(fixture.devenv.home + "/bin/where", [], environment: ["PATH": "/usr/bin:/bin"])
        #expect(shown.output == "\(home)|it's \(home)|\(home)/bin/where", "\(shown.stderr)")
        // A second package with the same program: a warning naming which one is used.
        let second = try fixture.run(["profile", "install", "hello_1"])
        #expect(second.status == 0)
        #expect(
            second.stderr.contains(
                "warning: hello_2 and hello_1 both provide hello; hello_2's are used (installed first; remove it to use hello_1's)"
            ), "\(second.stderr)")
        #expect(try runCommand(fixture.devenv.home + "/bin/hello", []).output == "hello 2.1.3")
    }
}
