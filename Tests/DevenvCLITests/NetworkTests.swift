import Foundation
import TestSupport
import Testing

/// Real toolchains from PyPI. They need the network, so they run only with DEVENV_NETWORK_TESTS=1.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["DEVENV_NETWORK_TESTS"] == "1"))
struct NetworkTests {
    @Test func nodejs24RunsNodeNpmAndNpx() throws {
        let dir = try TemporaryDirectory("network")
        let devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
        let built = try devenv("build", "nodejs_24")
        #expect(built.status == 0, "\(built.stderr)")
        let bin = built.output + "/bin"
        // Only the package on PATH (and basic tools): the host's own node must not answer.
        let environment = ["PATH": "\(bin):/usr/bin:/bin", "HOME": dir("home-node")]
        #expect(try runCommand(bin + "/node", ["--version"], environment: environment).output.hasPrefix("v24."))
        let npm = try runCommand(bin + "/npm", ["--version"], environment: environment)
        #expect(npm.status == 0 && npm.output.first?.isNumber == true, "\(npm.stderr)")
        let npx = try runCommand(bin + "/npx", ["--version"], environment: environment)
        #expect(npx.status == 0, "\(npx.stderr)")
    }

    @Test func go124RunsAHelloWorldModule() throws {
        let dir = try TemporaryDirectory("network")
        let devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
        let built = try devenv("build", "go_1_24")
        #expect(built.status == 0, "\(built.stderr)")
        try dir.sh(
            """
            mkdir hello && cd hello && printf 'module example.com/hello\\n\\ngo 1.24\\n' > go.mod
            printf 'package main\\n\\nimport "fmt"\\n\\nfunc main() { fmt.Println("hello from go") }\\n' > main.go
            """)
        let environment = [
            "PATH": "\(built.output)/bin:/usr/bin:/bin", "GOROOT": built.output, "GOTOOLCHAIN": "local",
            "GOCACHE": dir("gocache"), "GOPATH": dir("gopath"), "HOME": dir("home-go"),
        ]
        #expect(
            try runCommand(built.output + "/bin/go", ["version"], environment: environment).output
                == "go version go1.24.11 linux/amd64")
        let run = try runCommand(
            built.output + "/bin/go", ["run", "."], environment: environment, currentDirectory: dir("hello"))
        #expect(run.output == "hello from go", "\(run.stderr)")
    }

    @Test func helloBuildsFromSourceWithCMakeAndNinja() throws {
        let dir = try TemporaryDirectory("network")
        let built = try DevenvCLI(home: dir("home"), environment: ["CI": "true"])("build", "hello")
        #expect(built.status == 0, "\(built.stderr)")
        #expect(try runCommand(built.output + "/bin/hello", ["devenv"]).output == "Hello, devenv!")
    }
}
