import Foundation
import TestSupport
import Testing

struct CommandLineTests {
    @Test func versionNamesTheProject() throws {
        let result = try DevenvCLI(home: "/nonexistent")("--version")
        #expect(result.status == 0)
        #expect(result.output.hasPrefix("devenv 0."))
        #expect(result.output.contains("not cachix/devenv"))
    }

    @Test(arguments: [
        [], ["build"], ["search"], ["info"], ["store"], ["store", "add"], ["store", "dump"], ["store", "restore"],
        ["store", "hash"],
        ["store", "path-info"], ["store", "ls"], ["store", "verify"],
    ])
    func everyCommandHasHelp(_ command: [String]) throws {
        let result = try runCommand(DevenvCLI.binary, command + ["--help"])
        #expect(result.status == 0)
        #expect(result.output.contains("USAGE: devenv"))
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionsAreGenerated(_ shell: String) throws {
        let result = try runCommand(DevenvCLI.binary, ["--generate-completion-script", shell])
        #expect(result.status == 0)
        #expect(result.output.contains("path-info"))
    }

    @Test func badInputGetsOneLineAndANonZeroExit() throws {
        let dir = try TemporaryDirectory()
        let devenv = DevenvCLI(home: dir("home"))
        for arguments in [
            ["store", "add", dir("missing")], ["store", "hash", dir("missing")], ["store", "path-info", "/etc/passwd"],
            ["store", "hash", "--type", "sha3", dir.path],
        ] {
            let result = try runCommand(DevenvCLI.binary, arguments, environment: devenv.environment)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.hasPrefix("Error: "), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let missing = try devenv("store", "add", dir("missing"))
        #expect(missing.stderr == "Error: cannot stat '\(dir("missing"))': No such file or directory\n")
    }
}
