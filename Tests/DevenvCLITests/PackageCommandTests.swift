import Foundation
import TestSupport
import Testing

/// A package set of recipes whose sources a loopback server serves.
final class PackageSetFixture: @unchecked Sendable {
    let dir: TemporaryDirectory
    let server: HTTPServer
    let devenv: DevenvCLI

    init() throws {
        dir = try TemporaryDirectory("packages")
        try dir.sh(
            """
            mkdir -p src/greet-1.0/bin served set home
            printf '#!/bin/sh\\necho "hello, ${1:-world}"\\n' > src/greet-1.0/bin/greet && chmod 755 src/greet-1.0/bin/greet
            tar -C src -czf served/greet.tar.gz greet-1.0
            """)
        server = try HTTPServer(root: dir("served"))
        let hash = try dir.sh("sha256sum served/greet.tar.gz | cut -d' ' -f1")
        try """
        [greet]
        version = "1.0"
        description = "Prints a friendly greeting"
        homepage = "https://example.org/greet"
        license = "MIT"
        origin = "made by the tests"
        unpack = { strip = 1 }
        sources.x86_64-linux = { url = "\(server.url("greet.tar.gz"))", hash = "sha256:\(hash)" }

        [mirrored]
        version = "1.0"
        description = "The same tarball from a host that only a mirror reaches"
        homepage = "https://example.org/greet"
        license = "MIT"
        origin = "made by the tests"
        unpack = { strip = 1 }
        sources.x86_64-linux = { url = "https://packages.invalid/greet.tar.gz", hash = "\(hash)" }

        [slow]
        version = "1"
        description = "Takes a second to build, then wraps greet"
        homepage = "https://example.org/slow"
        license = "MIT"
        origin = "made by the tests"
        dependencies = ["greet"]
        script = '''
        sleep 1
        mkdir -p "$out/bin"
        printf '#!/bin/sh\\nexec %s/bin/greet slowly\\n' "$greet" > "$out/bin/slow"
        chmod +x "$out/bin/slow"
        '''
        """.write(toFile: dir("set/test.toml"), atomically: true, encoding: .utf8)
        devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
    }

    func run(_ arguments: String..., environment extra: [String: String] = [:]) throws -> CommandResult {
        try runCommand(
            DevenvCLI.binary, Array(arguments) + ["--packages", dir("set")],
            environment: devenv.environment.merging(extra) { _, new in new })
    }
}

struct PackageCommandTests {
    @Test func buildRealizesOnceAndPrintsStorePaths() throws {
        let fixture = try PackageSetFixture()
        let first = try fixture.run("build", "greet")
        #expect(first.status == 0, "\(first.stderr)")
        let path = first.output
        #expect(path.hasPrefix(fixture.devenv.storeDirectory + "/") && path.hasSuffix("-greet-1.0"))
        #expect(try fixture.dir.sh("'\(path)/bin/greet' tests") == "hello, tests")
        let lines = first.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("fetched \(fixture.server.url("greet.tar.gz")) (") })
        #expect(lines.contains("unpacking greet-1.0"))
        #expect(lines.contains { $0.hasPrefix("built greet-1.0 in ") && $0.hasSuffix(path) })

        let again = try fixture.run("build", "greet", "--json")
        #expect(again.stderr == "")
        let objects = try JSONSerialization.jsonObject(with: again.stdout) as! [[String: Any]]
        #expect(objects.count == 1)
        #expect(objects[0]["name"] as? String == "greet")
        #expect((objects[0]["outputs"] as? [String: String])?["out"] == path)
        #expect(try fixture.server.requests().count == 1)
    }

    @Test func aTerminalGetsALiveBarPerDownload() throws {
        let fixture = try PackageSetFixture()
        try fixture.dir.sh(
            """
            mkdir -p src/big-1.0 && head -c 300000 /dev/urandom > src/big-1.0/data
            tar -C src -czf served/big.tar.gz big-1.0
            printf '[big]\\nversion = "1.0"\\ndescription = "d"\\nhomepage = "h"\\nlicense = "l"\\norigin = "o"\\n' > set/big.toml
            printf 'unpack = { strip = 1 }\\nsources.x86_64-linux = { url = "%s", hash = "sha256:%s" }\\n' \\
              '\(fixture.server.url("big.tar.gz"))' "$(sha256sum served/big.tar.gz | cut -d' ' -f1)" >> set/big.toml
            """)
        // Through the server's slow path (a mirror of itself), so the bar has time to move.
        try "[mirrors]\n\"\(fixture.server.url(""))\" = \"\(fixture.server.url("slow/"))\"\n"
            .write(toFile: fixture.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        var environment = fixture.devenv.environment
        environment["CI"] = nil
        environment["TERM"] = "xterm"
        let command = "'\(DevenvCLI.binary)' build big --packages '\(fixture.dir("set"))'"
        let result = try runCommand("/usr/bin/script", ["-qefc", command, "/dev/null"], environment: environment)
        #expect(result.status == 0, "\(result.output)")
        #expect(
            result.output.range(
                of:
                    #"big\.tar\.gz  \[[#-]{24}\] [0-9]+%  [0-9.]+ [KMG]?i?B/[0-9.]+ [KMG]?i?B  [0-9.]+ [KMG]?i?B/s  ETA [0-9.]+ s"#,
                options: .regularExpression) != nil, "\(result.output)")
        #expect(result.output.contains("\u{1B}[1A\u{1B}[J"))  // redrawn in place
        #expect(result.output.contains("fetched \(fixture.server.url("slow/big.tar.gz")) ("))
    }

    @Test func mirrorsFromTheConfigurationAreUsed() throws {
        let fixture = try PackageSetFixture()
        try "[mirrors]\n\"https://packages.invalid/\" = \"\(fixture.server.url(""))\"\n"
            .write(toFile: fixture.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        let result = try fixture.run("build", "mirrored")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("fetched \(fixture.server.url("greet.tar.gz"))"))
    }

    @Test func twoProcessesBuildingOnePackageBuildItOnce() throws {
        let fixture = try PackageSetFixture()
        let outputs = (0..<2).map { fixture.dir("out\($0)") }
        let processes = try outputs.map { output in
            try ChildProcess(
                "/bin/sh",
                [
                    "-c", "exec \"$0\" build slow --packages \"$1\" > \"$2\" 2> \"$2.err\"", DevenvCLI.binary,
                    fixture.dir("set"), output,
                ],
                environment: fixture.devenv.environment)
        }
        #expect(try processes.allSatisfy { try $0.wait() == 0 })
        let paths = try Set(outputs.map { try String(contentsOfFile: $0, encoding: .utf8) })
        #expect(paths.count == 1)
        let errors = try outputs.map { try String(contentsOfFile: $0 + ".err", encoding: .utf8) }.joined()
        #expect(errors.components(separatedBy: "building slow-1").count - 1 == 1, "\(errors)")
        #expect(try fixture.dir.sh("'\(paths.first!.trimmingCharacters(in: .newlines))/bin/slow'") == "hello, slowly")
    }

    @Test func infoAndSearchDescribePackages() throws {
        let fixture = try PackageSetFixture()
        let before = try fixture.run("info", "greet")
        #expect(before.status == 0)
        #expect(before.output.hasPrefix("greet 1.0\n  Prints a friendly greeting\n"))
        #expect(before.output.contains("  source:     \(fixture.server.url("greet.tar.gz"))"))
        #expect(before.output.contains("(not realized)"))
        let path = try fixture.run("build", "greet").output
        let after = try fixture.run("info", "greet", "--json")
        let object = try JSONSerialization.jsonObject(with: after.stdout) as! [String: Any]
        #expect(object["storePath"] as? String == path)
        #expect(object["realized"] as? Bool == true)
        #expect((object["package"] as? [String: Any])?["license"] as? String == "MIT")
        #expect(object["dependencies"] as? [String] == [])
        let slow = try JSONSerialization.jsonObject(with: try fixture.run("info", "slow", "--json").stdout)
        #expect((slow as? [String: Any])?["dependencies"] as? [String] == ["greet"])
        #expect(try fixture.run("info", "slow").output.contains("  depends on: greet"))

        #expect(try fixture.run("search", "friendly").output.hasPrefix("greet 1.0"))
        #expect(try fixture.run("search", "wraps", "greet").output.hasPrefix("slow"))
        let nothing = try fixture.run("search", "no-such-thing")
        #expect(nothing.status == 1 && nothing.stderr == "no package matches 'no-such-thing'\n")
        let unknown = try fixture.run("build", "gret")
        #expect(unknown.status != 0)
        #expect(unknown.stderr == "Error: unknown package 'gret'; did you mean 'greet'?\n")
    }

    @Test func jobsAndSystemsAreOptions() throws {
        let fixture = try PackageSetFixture()
        #expect(try fixture.run("build", "-j", "1", "slow").status == 0)
        let zero = try fixture.run("build", "-j", "0", "greet")
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("-j must be at least 1"))
        let elsewhere = try fixture.run("info", "greet", "--system", "aarch64-darwin")
        #expect(elsewhere.output.hasSuffix("  store path: none for aarch64-darwin"))
        #expect(!elsewhere.output.contains("  source:"))
    }

    @Test func withoutBwrapBuildsWarnOnceOrAreRefused() throws {
        let fixture = try PackageSetFixture()
        try "sandbox = \"required\"\n".write(
            toFile: fixture.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        let refused = try fixture.run("build", "slow", environment: ["DEVENV_BWRAP": ""])
        #expect(refused.status != 0)
        #expect(
            refused.stderr.hasSuffix(
                "Error: slow: the sandbox is required (sandbox = \"required\") but bwrap is not installed\n"))
        try "sandbox = \"auto\"\n".write(
            toFile: fixture.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        let unsandboxed = try fixture.run("build", "slow", environment: ["DEVENV_BWRAP": ""])
        #expect(unsandboxed.status == 0, "\(unsandboxed.stderr)")
        #expect(
            unsandboxed.stderr.components(separatedBy: "warning: bwrap is not installed: building without a sandbox")
                .count == 2)
        #expect(unsandboxed.stderr.contains("building slow-1 (no sandbox)"))
        #expect(try fixture.dir.sh("'\(unsandboxed.output)/bin/slow'") == "hello, slowly")
    }

    @Test func theBuiltinSetIsSearchable() throws {
        let result = try DevenvCLI(home: "/nonexistent")("search", "go", "toolchain")
        #expect(result.output.contains("go_1_24 1.24"))
        let info = try runCommand(
            DevenvCLI.binary, ["info", "nodejs", "--json"],
            environment: DevenvCLI(home: TemporaryDirectory().path).environment)
        let object = try JSONSerialization.jsonObject(with: info.stdout) as! [String: Any]
        #expect((object["package"] as? [String: Any])?["name"] as? String == "nodejs_24")
    }
}
