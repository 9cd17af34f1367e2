import DevenvStore
import Foundation
import Glibc
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
        // Relocated onto the store's C library and C++ runtime: it runs where the host has neither.
        let store = try Store(location: StoreLocation(home: dir("home")))
        let isolated = try store.runIsolated(bin + "/node", ["-e", "console.log(6 * 7)"])
        #expect(isolated.status == 0 && isolated.output == "42", "\(isolated.stderr)")
    }

    /// The image: nodejs_24 and bash from the set, run from the image alone.
    @Test func aNodeImageRunsNodeFromItsOwnStore() throws {
        let dir = try TemporaryDirectory("network")
        try dir.sh(
            """
            mkdir -p app/dist && echo 'console.log(6 * 7)' > app/dist/app.js
            printf '#!/usr/bin/env node\\nconsole.log(process.env.GREETING)\\n' > app/dist/tool && chmod +x app/dist/tool
            """)
        try """
        [shell]
        packages = ["nodejs_24", "bash"]
        [containers.web]
        cmd = ["node", "/app/app.js"]
        copy = [{ from = "dist", to = "/app" }]
        """.write(toFile: dir("app/devenv.toml"), atomically: true, encoding: .utf8)
        let devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
        let built = try runCommand(
            DevenvCLI.binary, ["container", "build"], environment: devenv.environment, currentDirectory: dir("app"))
        #expect(built.status == 0, "\(built.stderr)")
        try dir.sh("umoci unpack --rootless --image app/.devenv/containers/web:latest bundle")
        let run = { (command: String) in
            try dir.sh("bwrap --bind bundle/rootfs / --proc /proc --dev /dev --clearenv --setenv PATH /bin \(command)")
        }
        #expect(try run("/bin/node --version").hasPrefix("v24."))
        #expect(try run("/bin/node /app/app.js") == "42")
        #expect(try run("/bin/bash -c 'echo $BASH_VERSION'").hasPrefix("5."))
        #expect(try run("/bin/sh -c 'node -e \"console.log(1)\"'") == "1")
        // No coreutils in the image: /usr/bin/env is bash's stand-in, enough for #! lines.
        #expect(try run("/usr/bin/env GREETING=hi /app/tool") == "hi")
    }

    @Test(arguments: [
        ("cmake", "bin/cmake", "--version", "cmake version"), ("ninja", "ninja", "--version", "1."),
        ("uv", "uv", "--version", "uv "), ("ruff", "ruff", "--version", "ruff "),
        ("deno", "deno", "--version", "deno "),
        ("just", "just", "--version", "just "), ("zig", "zig", "version", "0."),
        ("shellcheck", "shellcheck", "--version", "ShellCheck"), ("go_task", "task", "--version", "3."),
    ])
    func pypiToolsRunWithoutTheHostsLibraries(name: String, program: String, argument: String, expected: String)
        throws
    {
        let dir = try TemporaryDirectory("network")
        let built = try DevenvCLI(home: dir("home"), environment: ["CI": "true"])("build", name)
        #expect(built.status == 0, "\(built.stderr)")
        let store = try Store(location: StoreLocation(home: dir("home")))
        let result = try store.runIsolated(built.output + "/" + program, [argument])
        #expect(result.status == 0 && result.output.contains(expected), "\(name): \(result.output) \(result.stderr)")
    }

    @Test func theGoTemplateRunsGoAndGofmt() throws {
        let dir = try TemporaryDirectory("network")
        let devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
        #expect(try devenv("init", "--template", "go", dir("app")).status == 0)
        // Only the environment (and basic tools) on PATH: the recipe's GOROOT and GOTOOLCHAIN do the rest.
        func develop(_ command: String...) throws -> CommandResult {
            try runCommand(
                DevenvCLI.binary, ["develop", "--pure", "-c"] + command, environment: devenv.environment,
                currentDirectory: dir("app"))
        }
        #expect(try develop("go", "version").output == "go version go1.24.11 linux/amd64")
        let run = try develop("go", "run", ".")
        #expect(run.output == "hello, world", "\(run.stderr)")
        #expect(try develop("gofmt", "-l", ".").output == "")
    }

    /// The main job of the README's install command.
    @Test func theSampleProjectRuns() throws {
        let dir = try TemporaryDirectory("network")
        let devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/hello").path
        try dir.sh("cp -r '\(sample)' hello")
        let run = try devenv("develop", "--frozen", "-C", dir("hello"), "-c", "go", "run", ".")
        #expect(run.output == "hello from the devenv store", "\(run.stderr)")
    }

    /// Each template is a working project: its environment has its tools, and `devenv check`
    /// passes right after `init`, offline once the toolchains are realized (the proxies lead
    /// nowhere). python's test uses an interpreter of the machine (the template leaves Python to uv).
    @Test(arguments: [
        ("go", "go version", "go version go1.24"),
        ("node", "node --version && npm --version", "v24."), ("python", "uv --version && ruff --version", "uv "),
        ("zig", "zig version", "0."),
        ("polyglot", "go version && node --version && just --version", "go version go1.24"),
        ("minimal", "echo minimal", "minimal"),
    ])
    func everyTemplateWorksOnTheFirstTry(_ template: String, _ command: String, _ expected: String) throws {
        let dir = try TemporaryDirectory("network")
        let devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
        #expect(try devenv("init", "--template", template, dir("app")).status == 0)
        let entered = try runCommand(
            DevenvCLI.binary, ["develop", "--pure", "-c", "sh", "-c", command], environment: devenv.environment,
            currentDirectory: dir("app"))
        #expect(entered.status == 0 && entered.output.hasPrefix(expected), "\(entered.output)\n\(entered.stderr)")
        let offline = ["HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "GOPROXY": "off"]
        let check = try runCommand(
            DevenvCLI.binary, ["check"], environment: devenv.environment.merging(offline) { $1 },
            currentDirectory: dir("app"))
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stderr.hasSuffix("check passed\n"))
    }

    @Test func aVenvMadeInTheEnvironmentInstallsALocalWheel() throws {
        let dir = try TemporaryDirectory("network")
        let devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
        try dir.sh("mkdir app && printf '[shell]\\npackages = [\"python313\"]\\n' > app/devenv.toml")
        let wheel = """
            import zipfile
            z = zipfile.ZipFile("hello_pkg-1.0-py3-none-any.whl", "w")
            z.writestr("hello_pkg/__init__.py", "def hi():\\n    return 'hi from a wheel'\\n")
            z.writestr("hello_pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: hello-pkg\\nVersion: 1.0\\n")
            z.writestr("hello_pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
            z.writestr("hello_pkg-1.0.dist-info/RECORD", "")
            """
        try wheel.write(toFile: dir("app/wheel.py"), atomically: true, encoding: .utf8)
        // The environment's python3, as `devenv develop` puts it on PATH (the host has no Python 3.13).
        let result = try runCommand(
            DevenvCLI.binary,
            [
                "develop", "--pure", "-c", "sh", "-c",
                """
                set -e
                python3 -m venv venv
                venv/bin/python wheel.py
                venv/bin/pip install -q --no-index hello_pkg-1.0-py3-none-any.whl
                venv/bin/python -c 'import hello_pkg, sys; print(hello_pkg.hi(), sys.base_prefix.startswith(sys.argv[1]))' "$DEVENV_STORE"
                """,
            ], environment: devenv.environment.merging(["DEVENV_STORE": devenv.storeDirectory]) { $1 },
            currentDirectory: dir("app"))
        #expect(result.status == 0 && result.output == "hi from a wheel True", "\(result.output) \(result.stderr)")
    }

    @Test func helloBuildsHermeticallyWithTheStoresGccAndMake() throws {
        let dir = try TemporaryDirectory("network")
        let devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
        let built = try devenv("build", "hello")
        #expect(built.status == 0, "\(built.stderr)")
        #expect(try runCommand(built.output + "/bin/hello", ["devenv"]).output == "Hello, devenv!")
        // It runs on the store's loader and C library, where the host has neither.
        let store = try Store(location: StoreLocation(home: dir("home")))
        #expect(try store.runIsolated(built.output + "/bin/hello", ["store"]).output == "Hello, store!")
    }

    /// postgres refuses to run as root, so when the tests run as root the project is an
    /// unprivileged user's (nobody) and every devenv command runs as that user.
    @Test func postgresAndRedisServicesKeepTheirDataAndSurviveAKilledSupervisor() throws {
        let dir = try TemporaryDirectory("network")
        try dir.sh("mkdir proj")
        try """
        [services.postgres]
        kind = "postgresql"
        package = "postgresql_17"
        databases = ["myapp"]
        port = "auto"
        [services.redis]
        kind = "redis"
        package = "redis"
        port = "auto"
        """.write(toFile: dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        let asRoot = getuid() == 0
        if asRoot { try dir.sh("chmod 755 . && chown -R nobody:nogroup .") }
        func devenv(_ arguments: String...) throws -> CommandResult {
            let environment = [
                "HOME": dir.path, "DEVENV_HOME": dir("home"), "CI": "true", "PATH": "/usr/bin:/bin",
            ]
            return asRoot
                ? try runCommand(
                    "/usr/bin/setpriv",
                    ["--reuid", "65534", "--regid", "65534", "--clear-groups", DevenvCLI.binary] + arguments,
                    environment: environment, currentDirectory: dir("proj"))
                : try runCommand(DevenvCLI.binary, arguments, environment: environment, currentDirectory: dir("proj"))
        }
        func select() throws -> CommandResult {
            try devenv(
                "develop", "-c", "sh", "-c",
                "psql \"$DATABASE_URL\" -tAc 'select x from t' && redis-cli -u \"$REDIS_URL\" ping")
        }
        let up = try devenv("up", "-d")
        #expect(up.status == 0, "\(up.stderr)")
        let created = try devenv(
            "develop", "-c", "sh", "-c",
            "psql \"$DATABASE_URL\" -qtAc 'create table t (x int); insert into t values (42)'")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try select().output == "42\nPONG")
        // Data survives down and up.
        #expect(try devenv("down").status == 0)
        #expect(try devenv("up", "-d").status == 0)
        #expect(try select().output == "42\nPONG")
        // A supervisor killed outright: its guards stop postgres cleanly, and the next up starts it again.
        struct Status: Decodable {
            struct Supervisor: Decodable { var pid: Int32 }
            var supervisor: Supervisor?
        }
        let status = try JSONDecoder().decode(Status.self, from: Data(try devenv("ps", "--json").output.utf8))
        kill(try #require(status.supervisor?.pid), SIGKILL)
        let deadline = Date().addingTimeInterval(40)
        while try devenv("ps").stderr != "no services are up\n", Date() < deadline { usleep(50_000) }
        let again = try devenv("up", "-d")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try select().output == "42\nPONG")
        #expect(try devenv("down").status == 0)
    }
}
