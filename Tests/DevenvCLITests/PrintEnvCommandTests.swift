import DevenvBasics
import DevenvBuild
import DevenvProject
import Foundation
import TestSupport
import Testing

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
