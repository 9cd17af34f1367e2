import DevenvBasics
import DevenvProject
import Glibc
import TestSupport
import Testing

/// devenv.toml read in process: each mistake at its line and column, without a process round trip.
struct ManifestTests {
    static let mistakes: [(String, String)] = [
        ("[shell\npackages = []\n", "devenv.toml:1:7: Error while parsing table header"),
        ("[shell]\npakages = [\"hello_2\"]\n", "devenv.toml:2:1: unknown key 'pakages' in 'shell'"),
        (
            "[shell]\npackages = \"hello_2\"\n",
            "devenv.toml:2:1: 'packages' in 'shell' must be an array of strings, not a string"
        ),
        (
            "[shell]\npackages = [\"team.hello\"]\n",
            "devenv.toml:2:13: 'team.hello' names the input 'team', which [inputs] does not declare"
        ),
        (
            "[shell]\npackages = [\"jq\", \"debian:trixie/$(touch F)\"]\n",
            "devenv.toml:2:19: 'debian:trixie/$(touch F)' is not a package (NAME, INPUT.NAME, NAME@VERSION or debian:SUITE/PACKAGE)"
        ),
        (
            "[shell]\npackages = [\"debian:../etc/jq\"]\n",
            "devenv.toml:2:13: 'debian:../etc/jq' is not a package"
        ),
        ("[inputs]\nteam = \"svn://x\"\n", "devenv.toml:2:1: input 'team' = \"svn://x\" is not"),
        ("[project]\nsystems = []\n", "devenv.toml:2:1: 'systems' must name at least one system"),
        (
            "[project]\nsystems = [\"x86_64-linux\", \"evil-os\"]\n",
            "devenv.toml:2:28: \"evil-os\" is not a system devenv knows"
        ),
        ("nonsense = 1\n", "devenv.toml:1:1: unknown key 'nonsense' at the top level"),
        (
            "[shell]\nenv = { A = \"a\", B = 1 }\n",
            "devenv.toml:2:18: 'env.B' in 'shell' must be a string, not an integer"
        ),
        ("[shell]\nenv = { status = \"x\" }\n", "devenv.toml:2:9: \"status\" in 'shell.env' is not a variable name"),
        (
            "[shell]\naliases = { 'a b' = \"ls\" }\n",
            "devenv.toml:2:13: \"a b\" in 'shell.aliases' is not an alias name"
        ),
        ("[shells.default]\npackages = []\n", "devenv.toml:1:1: the shell 'default' is the one [shell] declares"),
        (
            "[shell]\npackages = [\"jq\"]\n[checks]\nok = \"${packages.jq}/bin/jq\"\nlint = { command = \"${packages.rg}/bin/rg\" }\n",
            "devenv.toml:5:1: uses the store path of 'rg', which is not a package of the shell"
        ),
        (
            "[shells.ci]\npackages = [\"jq\"]\n[scripts]\nq = \"${packages.jq}/bin/jq\"\n",
            "devenv.toml:4:1: uses the store path of 'jq', which is not a package of the shell"
        ),
        (
            "[shell.programs]\n'../x' = \"echo\"\n",
            "devenv.toml:2:1: \"../x\" in 'shell.programs' is not a program name"
        ),
        (
            "[shell]\npackages = [\"jq\"]\n[shell.programs]\nx = \"${packages.rg}/bin/rg\"\n",
            "devenv.toml:4:1: uses the store path of 'rg', which is not a package of the shell"
        ),
        // Services: hostile names and values, each at its place.
        ("[services.'../x']\ncommand = \"x\"\n", "devenv.toml:1:1: \"../x\" is not a service name"),
        ("[services.web]\nimage = 1\n", "devenv.toml:2:1: unknown key 'image' in 'services.web'"),
        ("[services.web]\nenv = { A = \"1\" }\n", "devenv.toml:1:1: 'command' is missing in 'services.web'"),
        (
            "[services.web]\ncommand = \"x\"\nenv = { DEVENV_ROOT = \"/\" }\n",
            "devenv.toml:3:1: \"DEVENV_ROOT\" in 'env' is devenv's own"
        ),
        (
            "[services.web]\ncommand = \"x\"\nshell = \"ci\"\n",
            "devenv.toml:3:1: the shell 'ci' is not declared (shells: default)"
        ),
        (
            "[services.web]\ncommand = \"x\"\nready = { tcp = 70000 }\n",
            "devenv.toml:3:11: 'tcp' must be a port (1-65535), \"$PORT\" or \"HOST:PORT\""
        ),
        (
            "[services.web]\ncommand = \"x\"\nready = { http = \"http://127.0.0.1:${PORT}/\" }\n",
            "devenv.toml:3:1: 'ready' names $PORT, but the service has no 'port'"
        ),
        (
            "[services.web]\ncommand = \"x\"\nready = { tcp = 80, http = \"http://x\" }\n",
            "devenv.toml:3:1: 'ready' must have one of command, tcp, unix or http"
        ),
        (
            "[services.web]\ncommand = \"x\"\nready = { http = \"file:///etc/passwd\" }\n",
            "devenv.toml:3:11: 'http' must be an http:// URL"
        ),
        (
            "[services.web]\ncommand = \"x\"\nready = { command = \"true\", interval = \"soon\" }\n",
            "devenv.toml:3:29: 'interval' must be a duration"
        ),
        (
            "[services.web]\ncommand = \"x\"\nrestart = \"sometimes\"\n",
            "devenv.toml:3:1: 'restart' must be \"on-failure\", \"always\" or \"never\""
        ),
        (
            "[services.web]\ncommand = \"x\"\nstop = { signal = \"STOP\" }\n",
            "devenv.toml:3:10: 'STOP' is not a signal a service stops with"
        ),
        (
            "[services.web]\ncommand = \"x\"\nafter = [\"db\"]\n",
            "devenv.toml:3:10: 'after' names 'db', which is no service"
        ),
        (
            "[services.a]\ncommand = \"x\"\nafter = [\"b\"]\n[services.b]\ncommand = \"x\"\nafter = [\"c\"]\n[services.c]\ncommand = \"x\"\nafter = [\"a\"]\n",
            "devenv.toml:9:10: services wait for each other: a → b → c → a"
        ),
        (
            "[services.db]\nkind = \"mysql\"\n",
            "devenv.toml:2:1: 'mysql' is not a kind of service (postgresql, redis)"
        ),
        (
            "[services.db]\nkind = \"postgresql\"\npackage = \"redis\"\n",
            "devenv.toml:3:1: 'package' must be a package of postgresql"
        ),
        (
            "[services.db]\nkind = \"postgresql\"\npackage = \"postgresql_17\"\ncommand = \"x\"\n",
            "devenv.toml:4:1: unknown key 'command' in 'services.db'"
        ),
        (
            "[services.db]\nkind = \"postgresql\"\npackage = \"postgresql_17\"\ndatabases = [\"app; rm -rf ~\"]\n",
            "devenv.toml:4:14: \"app; rm -rf ~\" is not a database name"
        ),
        (
            "[services.db]\nkind = \"postgresql\"\npackage = \"postgresql_17\"\nsettings = { 'a b' = 1 }\n",
            "devenv.toml:4:14: \"a b\" is not a setting's name"
        ),
        (
            "[shell]\npackages = [\"jq\"]\nenv = { X = \"${packages.go}/bin\" }\n",
            "devenv.toml:3:9: uses the store path of 'go', which is not a package of the shell"
        ),
        (
            "[shell]\npackages = [\"jq\"]\nhook = \"echo ${packages.jq} ${packages.rg}\"\n",
            "devenv.toml:3:1: uses the store path of 'rg', which is not a package of the shell"
        ),
        (
            "[services.web]\ncommand = \"x\"\nport = \"any\"\n",
            "devenv.toml:3:1: 'port' must be a number (1-65535) or \"auto\""
        ),
        ("[containers.Web]\ncmd = [\"x\"]\n", "devenv.toml:1:1: \"Web\" is not an image name"),
        ("[containers.web]\nports = [70000]\n", "devenv.toml:2:1: '70000' is not a port"),
        ("[containers.web]\nports = [\"80/xyz\"]\n", "devenv.toml:2:10: '80/xyz' is not a port"),
        (
            "[containers.web]\ncopy = [{ from = \"../secret\", to = \"/app\" }]\n",
            "devenv.toml:2:18: '../secret' must be a relative path inside the project"
        ),
        (
            "[containers.web]\ncopy = [{ from = \"dist\", to = \"/devenv/store\" }]\n",
            "devenv.toml:2:31: '/devenv/store' must be an absolute path in the image"
        ),
        ("[containers.web]\nuser = \"a:b:c\"\n", "devenv.toml:2:1: 'user' must be NAME, UID"),
        (
            "[containers.web]\ncopy = [{ from = \"dist\", to = \"/etc\" }]\n",
            "devenv.toml:2:31: '/etc' would replace or hold /etc/passwd, which the image makes itself"
        ),
        (
            "[containers.web]\ncopy = [{ from = \"a\", to = \"/x\" }, { from = \"b\", to = \"/x/y\" }]\n",
            "devenv.toml:2:55: '/x/y' and '/x' are copies of which one would hold the other"
        ),
        (
            "[containers.web]\nworkdir = \"/app/sub\"\ncopy = [{ from = \"dist\", to = \"/app\" }]\n",
            "devenv.toml:2:1: 'workdir' /app/sub is inside the copy to /app"
        ),
        ("[containers.web]\nmax-layers = 1\n", "devenv.toml:2:1: 'max-layers' must be between 2 and 125"),
        (
            "[shell]\npackages = [\"jq\"]\n[containers.web]\npackages = [\"jq\"]\ncmd = [\"${packages.go}/bin/go\"]\n",
            "devenv.toml:5:1: uses the store path of 'go', which is not a package of the image"
        ),
        ("[containers.web]\nworkdir = \"app\"\n", "devenv.toml:2:1: 'workdir' must be an absolute path"),
        ("[containers.web]\nimage = \"x\"\n", "devenv.toml:2:1: unknown key 'image' in 'containers.web'"),
    ]

    @Test(arguments: mistakes.indices)
    func mistakesAreManifestErrorsAtTheirPlace(_ index: Int) {
        let (text, message) = Self.mistakes[index]
        let error = #expect(throws: ManifestError.self) { try Manifest(parsing: text, file: "devenv.toml") }
        #expect(error?.description.hasPrefix(message) == true, "\(error?.description ?? "")")
    }

    @Test func aManifestIsReadWithItsDefaults() throws {
        let manifest = try Manifest(
            parsing: """
                [shell]
                packages = ["go@1.24", "team.lint"]
                env = { GOPATH = "$DEVENV_ROOT/.go" }
                aliases = { gt = "go test" }
                programs = { hi = "echo hi" }
                [inputs]
                team = "git+https://example.org/pkgs?ref=main"
                [checks]
                vet = "go vet"
                test = "go test"
                """, file: "devenv.toml", currentSystem: "aarch64-linux")
        #expect(manifest.systems == ["aarch64-linux"])
        #expect(manifest.inputs["pkgs"] == .builtin)
        #expect(manifest.inputs["team"] == .git(url: "https://example.org/pkgs", ref: "main", rev: nil))
        let shell = try manifest.shell(Manifest.defaultShell)
        #expect(shell.packages.map(\.description) == ["go@1.24", "team.lint"])
        #expect(shell.aliases == ["gt": "go test"])
        #expect(shell.programs == ["hi": "echo hi"])
        // Checks keep the order they are written in.
        #expect(manifest.checks.map(\.name) == ["vet", "test"])
        #expect(throws: ProjectError.self) { try manifest.shell("ci") }
        #expect(throws: ProjectError.self) { try manifest.script("build") }
    }

    @Test func servicesAreReadWithTheirDefaultsAndStartAfterWhatTheyWaitFor() throws {
        let manifest = try Manifest(
            parsing: """
                [services.web]
                command = "python3 -m http.server 8000"
                after = ["db", "cache"]
                ready = { http = "http://127.0.0.1:8000/", interval = "250ms", timeout = "5s" }
                restart = "on-failure"
                [services.db]
                command = "postgres -D data"
                ready = { command = "pg_isready" }
                stop = { command = "pg_ctl stop -m fast", grace = "30s" }
                [services.cache]
                command = "redis-server"
                ready = { tcp = "localhost:6379" }
                stop = { signal = "SIGINT" }
                [services.worker]
                command = "sleep infinity"
                after = ["web"]
                """, file: "devenv.toml")
        let web = try #require(manifest.services["web"])
        #expect(web.ready == .http(url: "http://127.0.0.1:8000/"))
        #expect(web.readyInterval == 0.25 && web.readyTimeout == 5)
        #expect(web.restart == .onFailure && web.maxRestarts == 5 && web.backoff == 1)
        #expect(web.stopSignal == SIGTERM && web.stopGrace == 10 && web.shell == Manifest.defaultShell)
        #expect(manifest.services["db"]?.stopCommand == "pg_ctl stop -m fast")
        #expect(manifest.services["cache"]?.ready == .tcp(host: "localhost", port: 6379))
        #expect(manifest.services["cache"]?.stopSignal == SIGINT)
        #expect(manifest.services["worker"]?.restart == .never)
        // What each comes after first; asking for one brings what it waits for.
        #expect(try manifest.services([]).map(\.name) == ["cache", "db", "web", "worker"])
        #expect(try manifest.services(["web"]).map(\.name) == ["cache", "db", "web"])
        #expect(try manifest.services(["cache"]).map(\.name) == ["cache"])
        #expect(throws: ProjectError("devenv.toml has no service 'api' (it has: cache, db, web, worker)")) {
            try manifest.services(["api"])
        }
    }

    @Test func probesMayNameTheServicesOwnPort() throws {
        let manifest = try Manifest(
            parsing: """
                [services.web]
                command = "x"
                port = "auto"
                ready = { http = "http://127.0.0.1:${PORT}/health" }
                [services.api]
                command = "x"
                port = 8080
                ready = { tcp = "$PORT" }
                [services.sock]
                command = "x"
                port = 9000
                ready = { tcp = "localhost:${PORT}" }
                """, file: "devenv.toml")
        #expect(manifest.services["web"]?.ready?.resolving(port: 4242) == .http(url: "http://127.0.0.1:4242/health"))
        #expect(manifest.services["api"]?.ready?.resolving(port: 8080) == .tcp(host: "127.0.0.1", port: 8080))
        #expect(manifest.services["sock"]?.ready?.resolving(port: 9000) == .tcp(host: "localhost", port: 9000))
    }

    @Test func serviceKindsBringTheirPackageCommandProbeAndExports() throws {
        let manifest = try Manifest(
            parsing: """
                [shell]
                packages = ["redis"]
                [services.db]
                kind = "postgresql"
                package = "postgresql_17"
                databases = ["myapp", "other"]
                settings = { shared_buffers = "16MB", fsync = false, max_connections = 20 }
                [services.cache]
                kind = "redis"
                port = "auto"
                """, file: "devenv.toml")
        // The kind's package joins its shell; one the shell has is used as it is.
        #expect(try manifest.shell(Manifest.defaultShell).packages.map(\.description) == ["redis", "postgresql_17"])
        let db = try #require(manifest.services["db"])
        #expect(db.port == .fixed(5432) && db.stopSignal == SIGINT && db.package == "postgresql_17")
        #expect(db.command.contains("exec postgres -D \"$data\" -k \"$DEVENV_STATE\" -h 127.0.0.1 -p \"$PORT\""))
        #expect(db.command.contains("-c 'fsync=off' -c 'max_connections=20' -c 'shared_buffers=16MB'"))
        guard case .command(let probe)? = db.ready else {
            Issue.record("no probe")
            return
        }
        #expect(probe.hasPrefix("pg_isready -q -h \"$DEVENV_STATE\" -p \"$PORT\" && "))
        #expect(probe.contains("createdb -h \"$DEVENV_STATE\" -p \"$PORT\" other;"))
        #expect(manifest.services["cache"]?.package == "redis")

        // Exports: the automatic port is picked once and kept in the service's state.
        let dir = try TemporaryDirectory("services")
        let states = dir("project/.devenv/state")
        try dir.sh("mkdir project")
        let exports = try manifest.serviceExports(in: states)
        #expect(exports["PGHOST"] == states + "/db" && exports["PGPORT"] == "5432")
        #expect(exports["PGDATA"] == states + "/db/data" && exports["PGDATABASE"] == "myapp")
        #expect(exports["DATABASE_URL"] == "postgresql://127.0.0.1:5432/myapp")
        let url = try #require(exports["REDIS_URL"])
        let port = try String(contentsOfFile: states + "/cache/port", encoding: .utf8)
        #expect(url == "redis://127.0.0.1:" + port.trimmingCharacters(in: .newlines))
        #expect(try manifest.serviceExports(in: states)["REDIS_URL"] == url)
    }

    @Test func aKindWithoutAPackageTakesTheShellsElseTheSetsNewest() throws {
        let bare = try Manifest(
            parsing: "[services.db]\nkind = \"postgresql\"\n[services.cache]\nkind = \"redis\"\n", file: "devenv.toml")
        #expect(bare.services["db"]?.package == "postgresql_17" && bare.services["cache"]?.package == "redis")
        #expect(try bare.shell(Manifest.defaultShell).packages.map(\.description) == ["redis", "postgresql_17"])
        let chosen = try Manifest(
            parsing: """
                [shell]
                packages = ["valkey", "postgresql_15"]
                [services.db]
                kind = "postgresql"
                [services.cache]
                kind = "redis"
                """, file: "devenv.toml")
        #expect(chosen.services["db"]?.package == "postgresql_15" && chosen.services["cache"]?.package == "valkey")
        #expect(try chosen.shell(Manifest.defaultShell).packages.map(\.description) == ["valkey", "postgresql_15"])
    }

    @Test func manifestChangesNameTheKeysThatDiffer() {
        let old = "[shell]\npackages = [\"a\"]\nenv = { MODE = \"dev\" }\n[scripts]\nx = \"1\"\n"
        let new = "# a comment\n[shell]\npackages = [\"a\", \"b\"]\nenv = { MODE = \"prod\" }\n[scripts]\nx = \"1\"\n"
        #expect(ManifestChanges.keys(from: old, to: new) == ["shell.env.MODE", "shell.packages"])
        #expect(ManifestChanges.beyondTheLock(from: old, to: new) == ["shell.env.MODE"])
        #expect(ManifestChanges.keys(from: old, to: "# only a comment\n" + old) == [])
        #expect(ManifestChanges.keys(from: old, to: "[shell") == nil)
    }
}
