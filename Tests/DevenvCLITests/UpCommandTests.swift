import DevenvBasics
import Foundation
import Glibc
import TestSupport
import Testing

/// `devenv up` with services that are small scripts: the real supervisor, signals and process groups.
@Suite(.serialized)
struct UpCommandTests {
    struct Project {
        let dir: TemporaryDirectory
        let devenv: DevenvCLI

        init(_ manifest: String) throws {
            dir = try TemporaryDirectory("up")
            devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
            try dir.sh("mkdir proj")
            try manifest.write(toFile: dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        }

        /// Runs `devenv up`, sends `signal` once `until` holds for its standard error (or
        /// standard output), and returns both and its exit status.
        func up(
            _ arguments: [String] = [], until: (String) -> Bool, then signal: Int32 = SIGINT, timeout: Double = 30
        ) throws -> (output: String, errors: String, status: Int32, pid: pid_t) {
            let output = dir("up.out")
            let errors = dir("up.err")
            let out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            let err = open(errors, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            defer {
                close(out)
                close(err)
            }
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer { close(null) }
            let child = try ChildProcess(
                DevenvCLI.binary, ["up", "-C", dir("proj")] + arguments, environment: devenv.environment,
                streams: Subprocess.Streams(input: null, output: out, error: err))
            func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
            let deadline = Date().addingTimeInterval(timeout)
            var status: Int32? = nil
            while status == nil, !until(read(errors) + read(output)), Date() < deadline {
                status = try Subprocess.poll(child.pid)
                usleep(10_000)
            }
            if status == nil {
                kill(child.pid, signal)
                status = try child.wait(timeout: timeout)
            }
            return (read(output), read(errors), status!, child.pid)
        }
    }

    /// The pids `up` reported starting (`NAME: started (pid N)`), by name.
    static func pids(_ errors: String) -> [String: pid_t] {
        var found: [String: pid_t] = [:]
        for match in errors.matches(of: /(?m)^([a-z0-9_-]+): started \(pid (\d+)\)$/) {
            found[String(match.1)] = pid_t(match.2)!
        }
        return found
    }

    static func alive(_ pid: pid_t) -> Bool {
        // A zombie has ended; only a running process counts.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }

    /// `ps --json`: the supervisor's pid (nil when none runs) and its services by name.
    static func ps(_ project: Project) throws -> (pid: Int32?, services: [String: [String: Any]]) {
        let result = try project.devenv("ps", "--json", "-C", project.dir("proj"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        guard let supervisor = json["supervisor"] as? [String: Any] else { return (nil, [:]) }
        let entries = supervisor["services"] as? [[String: Any]] ?? []
        return (
            (supervisor["pid"] as? NSNumber)?.int32Value,
            Dictionary(uniqueKeysWithValues: entries.map { ($0["name"] as! String, $0) })
        )
    }

    /// A port nothing listens on now.
    static func freePort() throws -> Int {
        let (socket, port) = try #require(Loopback.bind(port: 0))
        close(socket)
        return port
    }

    @Test func servicesStartAfterWhatTheyWaitForAreProbedAndStopInReverse() throws {
        let (tcp, http) = (try Self.freePort(), try Self.freePort())
        let project = try Project(
            """
            [services.db]
            command = "exec python3 -c 'import socket, time; s = socket.socket(); s.bind((\\"127.0.0.1\\", \(tcp))); s.listen(); print(\\"db listening\\", flush=True); time.sleep(1000)'"
            ready = { tcp = \(tcp), interval = "50ms" }
            [services.queue]
            command = "exec python3 -c 'import socket, time, os; s = socket.socket(socket.AF_UNIX); s.bind(os.environ[\\"DEVENV_STATE\\"] + \\"/q.sock\\"); s.listen(); time.sleep(1000)'"
            after = ["db"]
            ready = { unix = ".devenv/state/queue/q.sock", interval = "50ms" }
            [services.web]
            command = "exec python3 -m http.server \(http) --bind 127.0.0.1"
            after = ["queue"]
            ready = { http = "http://127.0.0.1:\(http)/", interval = "50ms" }
            [services.other]
            command = "echo other $GREETING; exec sleep 1000"
            env = { GREETING = "hello" }
            """)
        let run = try project.up(until: { $0.contains("web: ready") && $0.contains("other: ready") })
        #expect(run.status == 0, "\(run.errors)")
        let lines = run.errors.split(separator: "\n").map(String.init)
        func index(_ line: String) -> Int { lines.firstIndex(of: line) ?? -1 }
        func first(_ prefix: String) -> Int { lines.firstIndex { $0.hasPrefix(prefix) } ?? -1 }
        // Each starts once what it comes after is ready; they stop in the reverse order.
        #expect(first("db: ready") >= 0 && first("db: ready") < first("queue: started"), "\(run.errors)")
        #expect(first("queue: ready") < first("web: started"), "\(run.errors)")
        #expect(index("web: stopping") < index("queue: stopping") && index("queue: stopping") < index("db: stopping"))
        #expect(run.output.contains("db    | db listening\n"), "\(run.output)")
        #expect(run.output.contains("other | other hello\n"), "\(run.output)")
        #expect(run.output.contains("web   | 127.0.0.1 - - ["), "\(run.output)")
        for (name, pid) in Self.pids(run.errors) { #expect(!Self.alive(pid), "\(name) is still running") }
        let log = try String(contentsOfFile: project.dir("proj/.devenv/state/db/log"), encoding: .utf8)
        #expect(log == "db listening\n")
    }

    @Test func aCrashingServiceIsRestartedWithBackoffThenUpFailsWithItsLog() throws {
        let project = try Project(
            """
            [services.crash]
            command = "echo boom; exit 3"
            ready = { command = "false" }
            restart = "on-failure"
            max-restarts = 2
            backoff = "100ms"
            """)
        let run = try project.up(until: { _ in false })
        #expect(run.status == 1)
        #expect(run.errors.contains("crash: restarting in 0.1 s (1 of 2)\n"), "\(run.errors)")
        #expect(run.errors.contains("crash: restarting in 0.2 s (2 of 2)\n"), "\(run.errors)")
        #expect(run.errors.components(separatedBy: "crash: exited with status 3\n").count == 4, "\(run.errors)")
        #expect(
            run.errors.contains(
                "Error: the service crash did not come up: exited with status 3 before it was ready\n  crash | boom\n"),
            "\(run.errors)")
        // Each crash is in the log, where its output ends.
        #expect(run.errors.contains("  crash | boom\n  crash | [devenv] exited with status 3\n"), "\(run.errors)")
    }

    @Test func aServiceThatIgnoresTermIsKilledAfterItsGraceWithWhatItStarted() throws {
        let project = try Project(
            """
            [services.stubborn]
            command = "trap '' TERM; sleep 1000 & echo $! > $DEVENV_STATE/child; echo started; wait"
            stop = { grace = "300ms" }
            """)
        let run = try project.up(until: { $0.contains("stubborn | started") })
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.errors.contains("stubborn: stopped (status 137)"), "\(run.errors)")
        let child = try #require(
            pid_t(
                try String(contentsOfFile: project.dir("proj/.devenv/state/stubborn/child"), encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!Self.alive(child))
    }

    @Test func aServiceThatNeverGetsReadyFailsUpAfterItsTimeout() throws {
        let project = try Project(
            """
            [services.never]
            command = "echo waiting for nothing; exec sleep 1000"
            ready = { command = "false", interval = "50ms", timeout = "400ms" }
            [services.later]
            command = "sleep 1000"
            after = ["never"]
            """)
        let run = try project.up(until: { _ in false })
        #expect(run.status == 1, "\(run.errors)")
        #expect(run.errors.contains("Error: the service never did not come up: not ready after 0."), "\(run.errors)")
        #expect(run.errors.contains("  never | waiting for nothing\n"), "\(run.errors)")
        #expect(!run.errors.contains("later: started"))
        let pids = Self.pids(run.errors)
        #expect(pids.count == 1 && !Self.alive(pids["never"]!))
    }

    @Test func killingTheSupervisorLeavesNoServiceRunning() throws {
        let project = try Project(
            """
            [services.parent]
            command = "sleep 1000 & sleep 1000 & echo forked; wait"
            [services.single]
            command = "exec sleep 1000"
            """)
        let run = try project.up(
            until: { $0.contains("parent | forked") && $0.contains("single: ready") }, then: SIGKILL)
        #expect(run.status == 128 + SIGKILL)
        let pids = Self.pids(run.errors)
        #expect(pids.count == 2)
        // The guards stop each service's whole group (TERM, then KILL after the grace period).
        let deadline = Date().addingTimeInterval(15)
        func survivors() -> [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { entry in
                guard let pid = pid_t(entry), Self.alive(pid),
                    let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8)
                else { return nil }
                // The fifth field is the process group.
                let fields = stat[stat.range(of: ") ")!.upperBound...].split(separator: " ")
                return pids.values.contains(pid_t(fields[2]) ?? 0) ? entry : nil
            } ?? []
        }
        while !survivors().isEmpty && Date() < deadline { usleep(20_000) }
        #expect(survivors().isEmpty)
    }

    @Test func aStateDirectoryThatIsALinkIsRefused() throws {
        let project = try Project("[services.x]\ncommand = \"sleep 1000\"\n")
        try project.dir.sh("mkdir -p elsewhere proj/.devenv && ln -s ../../elsewhere proj/.devenv/state")
        let run = try project.up(until: { _ in false })
        #expect(run.status == 1)
        #expect(run.errors.contains("is not a directory of yours (a link?)"), "\(run.errors)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: project.dir("elsewhere")).isEmpty)
    }

    @Test func unknownServicesAndProjectsWithoutServicesAreRefused() throws {
        let project = try Project("[services.x]\ncommand = \"sleep 1000\"\n")
        let unknown = try project.devenv("up", "-C", project.dir("proj"), "y")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("devenv.toml has no service 'y' (it has: x)"), "\(unknown.stderr)")
        try "[shell]\n".write(toFile: project.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        let none = try project.devenv("up", "-C", project.dir("proj"))
        #expect(none.status != 0 && none.stderr.contains("devenv.toml has no [services]"), "\(none.stderr)")
    }

    @Test func upDetachedThenPsLogsAndDownByNameAndAll() throws {
        let project = try Project(
            """
            [services.a]
            command = "echo hello a; exec sleep 1000"
            ready = { command = "true" }
            [services.b]
            command = "echo hi b; exec sleep 1000"
            after = ["a"]
            """)
        let proj = project.dir("proj")
        let up = try project.devenv("up", "-d", "-C", proj)
        #expect(up.status == 0, "\(up.stderr)")
        let match = try #require(up.stderr.firstMatch(of: /supervisor pid (\d+)\): a, b/))
        let supervisor = try #require(pid_t(match.1))
        let ps = try project.devenv("ps", "-C", proj)
        #expect(ps.output.contains("\na     ready"), "\(ps.output)")
        #expect(ps.output.contains("\nb     ready"), "\(ps.output)")
        struct Status: Decodable {
            struct Supervisor: Decodable {
                struct Entry: Decodable {
                    var name: String
                    var state: String
                    var pid: Int32?
                }
                var pid: Int32
                var services: [Entry]
            }
            var running: Bool
            var supervisor: Supervisor?
        }
        func status() throws -> Status {
            try JSONDecoder().decode(
                Status.self, from: Data(try project.devenv("ps", "--json", "-C", proj).output.utf8))
        }
        let first = try status()
        #expect(first.running && first.supervisor?.pid == supervisor)
        let pids = first.supervisor?.services.compactMap(\.pid) ?? []
        #expect(pids.count == 2 && pids.allSatisfy(Self.alive))
        // Already up: said, and nothing else starts.
        let again = try project.devenv("up", "-d", "-C", proj)
        #expect(again.status == 0 && again.stderr.contains("already up (supervisor pid \(supervisor)): a, b"))
        let shown = try runCommand(
            DevenvCLI.binary, ["status"], environment: project.devenv.environment, currentDirectory: proj)
        #expect(
            shown.output.contains("services:    a ready, b ready (supervisor pid \(supervisor))"), "\(shown.output)")
        let logs = try project.devenv("logs", "-n", "1", "-C", proj)
        #expect(logs.output == "a | hello a\nb | hi b", "\(logs.output)")
        let downB = try project.devenv("down", "b", "-C", proj)
        #expect(downB.status == 0 && downB.stderr.contains("stopped: b"), "\(downB.stderr)")
        let afterB = try status()
        #expect(afterB.supervisor?.services.map(\.state) == ["ready", "stopped"])
        #expect(!Self.alive(pids[1]) && Self.alive(pids[0]))
        #expect(try project.devenv("down", "b", "-C", proj).stderr == "not running: b\n")
        // Only what was running is named.
        let down = try project.devenv("down", "-C", proj)
        #expect(down.status == 0 && down.stderr == "stopped: a\n", "\(down.stderr)")
        #expect(try status().running == false)
        #expect(try project.devenv("ps", "-C", proj).stderr == "no services are up\n")
        #expect(!Self.alive(pids[0]) && !Self.alive(supervisor))
        #expect(try project.devenv("down", "-C", proj).stderr == "no services are up\n")
    }

    @Test func twoUpsAtOnceStartOneSupervisorAndAKilledOneIsReplaced() throws {
        let project = try Project("[services.a]\ncommand = \"exec sleep 1000\"\n")
        let proj = project.dir("proj")
        let starts = try (0..<2).map { _ in try project.devenv.start(["up", "-d", "-C", proj]) }
        for start in starts { #expect(try start.wait(timeout: 60) == 0) }
        func supervisors() -> [pid_t] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
                guard let pid = pid_t(entry), Self.alive(pid),
                    let line = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
                    let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8)
                else { return nil }
                // The supervisor leads its session's group; its guards (forked, same command line) do not.
                let group = stat[stat.range(of: ") ")!.upperBound...].split(separator: " ")[2]
                return line.contains("--supervise") && line.contains(proj) && group == "\(pid)" ? pid : nil
            }
        }
        let running = supervisors()
        #expect(running.count == 1)
        // A supervisor killed outright: its guards stop the service, and the next up starts afresh.
        kill(running[0], SIGKILL)
        let deadline = Date().addingTimeInterval(15)
        while try project.devenv("ps", "-C", proj).stderr != "no services are up\n", Date() < deadline {
            usleep(20_000)
        }
        let up = try project.devenv("up", "-d", "-C", proj)
        #expect(up.status == 0 && up.stderr.contains("up (supervisor pid"), "\(up.stderr)")
        #expect(try project.devenv("down", "-C", proj).status == 0)
        #expect(supervisors().isEmpty)
    }

    @Test func aServiceGetsItsPortAndOneThatIsTakenIsNamedWithItsHolder() throws {
        let port = try Self.freePort()
        let project = try Project("[services.web]\ncommand = \"echo port $PORT; exec sleep 1000\"\nport = \(port)\n")
        let listener = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', \(port))); s.listen(); time.sleep(60)",
            ])
        defer { listener.kill() }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !Loopback.accepts(port: port) { usleep(20_000) }
        let taken = try project.up(until: { _ in false })
        #expect(taken.status == 1)
        #expect(
            taken.errors.contains(
                "Error: the service web did not come up: its port \(port) is taken by pid \(listener.pid) (")
                && taken.errors.contains("python3 -c import socket"), "\(taken.errors)")
        listener.kill()
        let run = try project.up(until: { $0.contains("web | port \(port)") })
        #expect(run.status == 0, "\(run.errors)")
        let proj = project.dir("proj")
        #expect(try project.devenv("up", "-d", "-C", proj).status == 0)
        let ps = try project.devenv("ps", "-C", proj)
        #expect(ps.output.contains("web   ready  ") && ps.output.contains("  \(port)  "), "\(ps.output)")
        #expect(try project.devenv("down", "-C", proj).status == 0)
    }

    @Test func checkStartsTheServicesItsChecksNeedAndStopsThem() throws {
        let port = try Self.freePort()
        let project = try Project(
            """
            [services.db]
            command = "exec python3 -c 'import socket, time; s = socket.socket(); s.bind((\\"127.0.0.1\\", \(port))); s.listen(); time.sleep(1000)'"
            port = \(port)
            ready = { tcp = \(port), interval = "50ms" }
            [checks]
            plain = "true"
            talks = { command = "python3 -c 'import socket; socket.create_connection((\\"127.0.0.1\\", \(port)))'", needs = ["db"] }
            """)
        let proj = project.dir("proj")
        #expect(try project.devenv("lock", "-C", proj).status == 0)
        let check = try project.devenv("check", "-C", proj)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stderr.contains("services up for the checks (supervisor pid"), "\(check.stderr)")
        #expect(check.stderr.contains("PASS talks"), "\(check.stderr)")
        // Stopped again, and the port is free.
        #expect(try project.devenv("ps", "-C", proj).stderr == "no services are up\n")
        let bound = try #require(Loopback.bind(port: port))
        close(bound.socket)
        // A need that is no service is a mistake in devenv.toml.
        try "[checks]\nx = { command = \"true\", needs = [\"db\"] }\n".write(
            toFile: project.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        let wrong = try project.devenv("check", "-C", proj)
        #expect(
            wrong.status == 2 && wrong.stderr.contains("devenv.toml:2:34: 'needs' names 'db', which is no service"),
            "\(wrong.stderr)")
    }

    @Test func downWipeRemovesAServicesStateOnceConfirmed() throws {
        let project = try Project("[services.a]\ncommand = \"echo data > $DEVENV_STATE/data; exec sleep 1000\"\n")
        let proj = project.dir("proj")
        #expect(try project.devenv("up", "-d", "-C", proj).status == 0)
        let unconfirmed = try project.devenv("down", "--wipe", "a", "-C", proj)
        #expect(unconfirmed.status == 1 && unconfirmed.stderr.contains("confirm with --yes"), "\(unconfirmed.stderr)")
        // Refused before anything changed: it still runs, and its state is still there.
        #expect(!unconfirmed.stderr.contains("stopped"), "\(unconfirmed.stderr)")
        #expect(try Self.ps(project).services["a"]?["state"] as? String == "ready")
        #expect(FileManager.default.fileExists(atPath: project.dir("proj/.devenv/state/a/data")))
        #expect(try project.devenv("down", "--wipe", "-C", proj).status != 0)
        #expect(try project.devenv("down", "--wipe", "../../x", "--yes", "-C", proj).status != 0)
        let wiped = try project.devenv("down", "--wipe", "a", "--yes", "-C", proj)
        #expect(wiped.status == 0 && wiped.stderr.contains("removed \(proj)/.devenv/state/a"), "\(wiped.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.dir("proj/.devenv/state/a")))
    }

    @Test func aCrashLoopIsCaughtWithoutAProbeAndARunThatStaysUpStartsTheCountAgain() throws {
        let project = try Project(
            """
            [services.flaky]
            command = "echo flaky; sleep 1; exit 7"
            restart = "on-failure"
            backoff = "500ms"
            max-restarts = 2
            [services.steady]
            command = "echo steady; sleep 1.5; exit 5"
            restart = "on-failure"
            backoff = "100ms"
            max-restarts = 1
            """)
        let proj = project.dir("proj")
        #expect(try project.devenv("up", "-d", "-C", proj).status == 0)
        defer { _ = try? project.devenv("down", "-C", proj) }
        let deadline = Date().addingTimeInterval(20)
        var status = try Self.ps(project)
        while Date() < deadline,
            status.services["flaky"]?["state"] as? String != "failed"
                || (status.services["steady"]?["restarts"] as? Int ?? 0) < 3
        {
            usleep(100_000)
            status = try Self.ps(project)
        }
        // Ready at once, yet each run ends within its stable period (ten backoffs): two restarts
        // in a row, the second after twice the wait, then it is left failed.
        let flaky = try #require(status.services["flaky"])
        #expect(flaky["state"] as? String == "failed" && flaky["restarts"] as? Int == 2, "\(flaky)")
        #expect(flaky["exitStatus"] as? Int == 7)
        let events = try String(contentsOfFile: project.dir("proj/.devenv/state/supervisor.log"), encoding: .utf8)
        #expect(events.contains("flaky: restarting in 0.5 s (1 of 2)\n"), "\(events)")
        #expect(events.contains("flaky: restarting in 1.0 s (2 of 2)\n"), "\(events)")
        #expect(events.components(separatedBy: "flaky: started").count == 4, "\(events)")
        // Each run of steady outlasts its stable period (1 s): restarted again and again, each
        // the first in a row; ps counts them all.
        #expect((status.services["steady"]?["restarts"] as? Int ?? 0) >= 3, "\(status.services)")
        #expect(!events.contains("steady: restarting in 0.2 s"), "\(events)")
        let ps = try project.devenv("ps", "-C", proj)
        #expect(ps.output.contains("flaky   failed (status 7)"), "\(ps.output)")
    }

    @Test func logsFollowShowsTheLastLinesFirstIntoAFile() throws {
        let project = try Project(
            "[services.spew]\ncommand = \"for i in 1 2 3 4 5; do echo line $i; done; exec sleep 1000\"\n")
        let proj = project.dir("proj")
        #expect(try project.devenv("up", "-d", "-C", proj).status == 0)
        defer { _ = try? project.devenv("down", "-C", proj) }
        let deadline = Date().addingTimeInterval(10)
        let log = project.dir("proj/.devenv/state/spew/log")
        while Date() < deadline, !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("line 5") {
            usleep(20_000)
        }
        let file = project.dir("logs.out")
        let out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(out) }
        let follower = try ChildProcess(
            DevenvCLI.binary, ["logs", "spew", "-f", "-n", "2", "-C", proj], environment: project.devenv.environment,
            streams: Subprocess.Streams(output: out))
        defer { follower.kill() }
        func written() -> String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }
        let shown = Date().addingTimeInterval(10)
        while Date() < shown, written() != "line 4\nline 5\n" { usleep(20_000) }
        #expect(written() == "line 4\nline 5\n")
    }

    @Test func gitIgnoresTheStateOfAnyProject() throws {
        let project = try Project("[services.x]\ncommand = \"exec sleep 1000\"\n")
        let proj = project.dir("proj")
        #expect(try project.devenv("up", "-d", "-C", proj).status == 0)
        #expect(try project.devenv("down", "-C", proj).status == 0)
        #expect(try String(contentsOfFile: project.dir("proj/.devenv/.gitignore"), encoding: .utf8) == "*\n")
        // One that is there already, a link included, is left as it is and not written through.
        let other = try Project("[services.x]\ncommand = \"exec sleep 1000\"\n")
        try other.dir.sh("mkdir proj/.devenv && ln -s ../../target proj/.devenv/.gitignore")
        #expect(try other.devenv("up", "-d", "-C", other.dir("proj")).status == 0)
        #expect(try other.devenv("down", "-C", other.dir("proj")).status == 0)
        #expect(!FileManager.default.fileExists(atPath: other.dir("target")))
    }

    @Test func aFailedUpShowsOnlyItsOwnLinesOfTheSupervisorLog() throws {
        let project = try Project(
            "[services.crash]\ncommand = \"echo boom; exit 3\"\nready = { command = \"false\" }\n")
        let proj = project.dir("proj")
        #expect(try project.devenv("up", "-d", "-C", proj).status == 1)
        let second = try project.devenv("up", "-d", "-C", proj)
        #expect(second.status == 1)
        #expect(second.stderr.components(separatedBy: "crash: started").count == 2, "\(second.stderr)")
        #expect(second.stderr.contains("the service crash did not come up"), "\(second.stderr)")
    }

    @Test func anAutomaticPortIsWhatTheProbesAsk() throws {
        let project = try Project(
            """
            [services.web]
            command = "exec python3 -m http.server $PORT --bind 127.0.0.1"
            port = "auto"
            ready = { http = "http://127.0.0.1:${PORT}/", interval = "50ms", timeout = "20s" }
            [services.again]
            command = "exec python3 -m http.server $PORT --bind 127.0.0.1"
            port = "auto"
            ready = { tcp = "$PORT", interval = "50ms", timeout = "20s" }
            """)
        let run = try project.up(until: { $0.contains("web: ready") && $0.contains("again: ready") })
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.errors.contains("web: ready") && run.errors.contains("again: ready"), "\(run.errors)")
        // ps shows the probes with the ports they ask.
        let proj = project.dir("proj")
        #expect(try project.devenv("up", "-d", "-C", proj).status == 0)
        defer { _ = try? project.devenv("down", "-C", proj) }
        func port(_ name: String) throws -> String {
            try String(contentsOfFile: project.dir("proj/.devenv/state/\(name)/port"), encoding: .utf8)
                .trimmingCharacters(in: .newlines)
        }
        let status = try Self.ps(project)
        #expect(status.services["web"]?["probe"] as? String == "http http://127.0.0.1:\(try port("web"))/")
        #expect(status.services["again"]?["probe"] as? String == "tcp 127.0.0.1:\(try port("again"))")
        let ps = try project.devenv("ps", "-C", proj)
        #expect(ps.output.contains("tcp 127.0.0.1:\(try port("again"))"), "\(ps.output)")
    }
}
