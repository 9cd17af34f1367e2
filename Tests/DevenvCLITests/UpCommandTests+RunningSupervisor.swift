import DevenvBasics
import Foundation
import Glibc
import TestSupport
import Testing

/// A supervisor that runs already starts what a later `up` or `check` names.
extension UpCommandTests {
    @Test func aRunningSupervisorStartsWhatALaterUpNames() throws {
        let project = try Project(
            """
            [services.db]
            command = "exec sleep 1000"
            [services.web]
            command = "echo web up; exec sleep 1000"
            after = ["db"]
            ready = { command = "true", interval = "50ms" }
            [services.cache]
            command = "exec sleep 1000"
            [services.broken]
            command = "echo no config; exit 4"
            ready = { command = "false" }
            """)
        let proj = project.dir("proj")
        let first = try project.devenv("up", "-d", "db", "-C", proj)
        #expect(first.status == 0, "\(first.stderr)")
        defer { _ = try? project.devenv("down", "-C", proj) }
        let supervisor = try #require(try Self.ps(project).pid)
        let web = try project.devenv("up", "-d", "web", "-C", proj)
        #expect(web.status == 0, "\(web.stderr)")
        #expect(web.stderr.contains("up (supervisor pid \(supervisor)): started web; already up: db"), "\(web.stderr)")
        #expect(try Self.ps(project).services["web"]?["state"] as? String == "ready")
        // Stopped by name, then started again by name, in the same supervisor.
        #expect(try project.devenv("down", "web", "-C", proj).stderr.contains("stopped: web"))
        #expect(try project.devenv("down", "web", "-C", proj).stderr.contains("not running: web"))
        let again = try project.devenv("up", "web", "-C", proj)
        #expect(again.status == 0 && again.stderr.contains("started web; already up: db"), "\(again.stderr)")
        // One that cannot come up fails its own up; the others run on.
        let broken = try project.devenv("up", "-d", "broken", "-C", proj)
        #expect(broken.status == 1, "\(broken.stderr)")
        #expect(
            broken.stderr.contains(
                "the service broken did not come up: exited with status 4 before it was ready\n  broken | no config\n"),
            "\(broken.stderr)")
        // A service added to devenv.toml since the supervisor started.
        let manifest = try String(contentsOfFile: project.dir("proj/devenv.toml"), encoding: .utf8)
        try (manifest + "\n[services.late]\ncommand = \"exec sleep 1000\"\n").write(
            toFile: project.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        let late = try project.devenv("up", "-d", "late", "-C", proj)
        #expect(late.status == 0 && late.stderr.contains("started late"), "\(late.stderr)")
        let status = try Self.ps(project)
        #expect(status.pid == supervisor)
        #expect(["db", "web", "late"].allSatisfy { status.services[$0]?["state"] as? String == "ready" })
        #expect(status.services["broken"]?["state"] as? String == "failed")
        #expect(status.services["broken"]?["failure"] as? String == "exited with status 4 before it was ready")
        // Down names only what it stopped.
        let down = try project.devenv("down", "-C", proj)
        #expect(down.stderr == "stopped: db, web, late\n", "\(down.stderr)")
        #expect(try Self.ps(project).pid == nil)
    }

    @Test func checkStartsOnlyTheNeededServicesThatAreNotUpAndStopsOnlyThose() throws {
        let project = try Project(
            """
            [services.db]
            command = "exec sleep 1000"
            [services.web]
            command = "exec sleep 1000"
            after = ["db"]
            [checks]
            talks = { command = "true", needs = ["web"] }
            """)
        let proj = project.dir("proj")
        #expect(try project.devenv("lock", "-C", proj).status == 0)
        // Nothing up: it names all it starts, what the needed service comes after included.
        let alone = try project.devenv("check", "-C", proj)
        #expect(alone.status == 0, "\(alone.stderr)")
        #expect(alone.stderr.contains("services up for the checks (supervisor pid "), "\(alone.stderr)")
        #expect(alone.stderr.contains("): db, web\n"), "\(alone.stderr)")
        #expect(try Self.ps(project).pid == nil)
        // db up already: web is started beside it, and only web is stopped after.
        #expect(try project.devenv("up", "-d", "db", "-C", proj).status == 0)
        defer { _ = try? project.devenv("down", "-C", proj) }
        let supervisor = try #require(try Self.ps(project).pid)
        let beside = try project.devenv("check", "-C", proj)
        #expect(beside.status == 0, "\(beside.stderr)")
        #expect(
            beside.stderr.contains("services up for the checks (supervisor pid \(supervisor)): web\n"),
            "\(beside.stderr)")
        let after = try Self.ps(project)
        #expect(after.pid == supervisor)
        #expect(after.services["db"]?["state"] as? String == "ready")
        #expect(after.services["web"]?["state"] as? String == "stopped")
        #expect(try project.devenv("down", "-C", proj).stderr == "stopped: db\n")
    }
}
