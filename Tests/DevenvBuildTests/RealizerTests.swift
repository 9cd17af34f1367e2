import DevenvBuild
import DevenvFetch
import DevenvStore
import Foundation
import TestSupport
import Testing

struct RealizerTests {
    @Test func aDerivationWithoutAScriptIsItsUnpackedSource() throws {
        let fixture = try BuildFixture()
        let greet = try fixture.greet()
        let paths = try fixture.realizer().realize([greet])
        #expect(paths == [try greet.outputPath(in: fixture.store.directory)])
        let output = fixture.full(paths[0])
        #expect(try fixture.dir.sh("'\(output)/bin/greet' store") == "hello, store")
        let info = try fixture.store.validPathInfo(paths[0])
        #expect(info.references.isEmpty)
        #expect(info.narHash == (try Nar.hash(of: output)).hash)
        // Realizing again does nothing.
        let before = fixture.progress.events.count
        #expect(try fixture.realizer().realize([greet]) == paths)
        #expect(fixture.progress.events.count == before)
    }

    @Test func aScriptBuildsInTheSandboxWithItsDependencies() throws {
        let fixture = try BuildFixture()
        let greet = try fixture.greet()
        let wrapper = Derivation(
            name: "greet-wrapper", version: "1", system: "x86_64-linux", sources: [], dependencies: [greet],
            script: """
                mkdir -p "$out/bin"
                printf '#!/bin/sh\\nexec %s/bin/greet wrapped\\n' "$greet" > "$out/bin/wrapped"
                chmod +x "$out/bin/wrapped"
                greet sandbox > "$out/greeting"
                """)
        let compiled = Derivation(
            name: "hello-c", version: "1", system: "x86_64-linux", sources: [try fixture.source("hello-c.tar.gz")],
            script: """
                mkdir -p "$out/bin"
                cc -O2 -o "$out/bin/hello" "$src/hello.c"
                """)
        let paths = try fixture.realizer().realize([wrapper, compiled])
        let greetPath = try greet.outputPath(in: fixture.store.directory)
        #expect(try fixture.dir.sh("'\(fixture.full(paths[0]))/bin/wrapped'") == "hello, wrapped")
        #expect(try String(contentsOfFile: fixture.full(paths[0]) + "/greeting", encoding: .utf8) == "hello, sandbox\n")
        #expect(try fixture.store.validPathInfo(paths[0]).references == [greetPath])
        #expect(try fixture.store.closure(of: [paths[0]]).map(\.path) == [greetPath, paths[0]])
        #expect(try fixture.dir.sh("'\(fixture.full(paths[1]))/bin/hello'") == "hello from C")
        #expect(fixture.progress.events.contains("building greet-wrapper-1 sandboxed"))
        #expect(try fixture.store.verify(checkContents: true, repair: false).problems.isEmpty)
    }

    @Test func theSandboxHasNoNetworkAndOnlyOutIsWritable() throws {
        let fixture = try BuildFixture()
        let attempts = [
            ("network", "bash -c 'echo GET > /dev/tcp/127.0.0.1/\(fixture.server.port)'"),
            ("store", "echo evil > \(fixture.store.directory.path)/evil"),
            ("input", "echo evil >> \"$greet/bin/greet\""),
            ("usr", "echo evil > /usr/evil"),
            ("home", "echo evil > \"$HOME/evil\""),
        ]
        for (label, command) in attempts {
            let derivation = Derivation(
                name: "escape-\(label)", version: "1", system: "x86_64-linux", sources: [],
                dependencies: [try fixture.greet()],
                script: "mkdir -p $out\n\(command)")
            let error = #expect(throws: BuildError.self, "\(label)") { try fixture.realizer().realize([derivation]) }
            #expect(
                error?.description.contains("build of escape-\(label)-1 failed with exit status") == true, "\(label)")
            #expect(try !fixture.store.isValid(try derivation.outputPath(in: fixture.store.directory)))
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.store.directory.path + "/evil"))
        #expect(!FileManager.default.fileExists(atPath: "/usr/evil"))
        let greet = fixture.full(try fixture.greet().outputPath(in: fixture.store.directory))
        #expect(try fixture.dir.sh("grep -c evil '\(greet)/bin/greet' || true") == "0")
        #expect(try fixture.server.requests().map(\.path) == ["/greet.tar.gz"])

        // /tmp is the build's own: what it writes there never reaches the host's /tmp.
        let private_ = Derivation(
            name: "private-tmp", version: "1", system: "x86_64-linux", sources: [],
            script: "mkdir -p $out && echo x > \(fixture.dir("evil")) && cat \(fixture.dir("evil")) > $out/seen")
        _ = try fixture.realizer().realize([private_])
        #expect(!FileManager.default.fileExists(atPath: fixture.dir("evil")))

        // A loopback of its own (test servers in a build work); the host's stays unreachable.
        let loopback = Derivation(
            name: "own-loopback", version: "1", system: "x86_64-linux", sources: [],
            script: """
                mkdir -p $out
                python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); socket.create_connection(s.getsockname()); print("own loopback")' > $out/seen
                """)
        let seen = fixture.full(try fixture.realizer().realize([loopback])[0]) + "/seen"
        #expect(try String(contentsOfFile: seen, encoding: .utf8) == "own loopback\n")
    }

    @Test func aFailedBuildKeepsItsLogShowsItsTailAndRegistersNothing() throws {
        let fixture = try BuildFixture()
        let failing = Derivation(
            name: "failing", version: "1", system: "x86_64-linux", sources: [],
            // CR LF line ends count as lines too.
            script: "for i in $(seq 1 30); do printf 'line %d\\r\\n' $i; done\necho broken >&2\nexit 3")
        let error = #expect(throws: BuildError.self) { try fixture.realizer().realize([failing]) }
        let output = try failing.outputPath(in: fixture.store.directory)
        let log = fixture.store.logsDirectory + "/\(output.baseName).log"
        let lines = error?.description.split(separator: "\n").map(String.init) ?? []
        #expect(lines.first == "build of failing-1 failed with exit status 3; log: \(log)", "\(lines)")
        #expect(lines.dropFirst().first == "line 12")
        #expect(lines.last == "broken")
        #expect(lines.count == 21)
        #expect(FileManager.default.fileExists(atPath: log))
        #expect(try fixture.store.validPaths() == [])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: fixture.store.directory.path).filter {
                !$0.hasPrefix(".")
            } == [])
    }

    @Test func withoutASandboxOutIsStillTheFinalPath() throws {
        let fixture = try BuildFixture()
        let selfish = Derivation(
            name: "selfish", version: "1", system: "x86_64-linux", sources: [],
            script: "mkdir -p $out && echo \"$out\" > $out/me")
        let settings = BuildSettings(jobs: 1, sandbox: .disabled)
        let path = try fixture.realizer(settings).realize([selfish])[0]
        #expect(try String(contentsOfFile: fixture.full(path) + "/me", encoding: .utf8) == fixture.full(path) + "\n")
        #expect(try fixture.store.validPathInfo(path).references == [path])
        #expect(fixture.progress.events.contains("building selfish-1 unsandboxed"))
    }

    @Test func twoRealizersOfOneDerivationBuildItOnce() throws {
        let fixture = try BuildFixture()
        let slow = Derivation(
            name: "slow", version: "1", system: "x86_64-linux", sources: [],
            script: "sleep 1; mkdir -p $out; date +%s%N > $out/t")
        let results = ResultBox()
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                results.append(Result { try fixture.realizer().realize([slow]) })
                group.leave()
            }
        }
        group.wait()
        #expect(results.values.count == 2)
        #expect(Set(try results.values.map { try $0.get() }).count == 1)
        #expect(fixture.progress.events.filter { $0.hasPrefix("building slow") }.count == 1)
    }

    @Test func aMissingOrMismatchedSourceFailsTheBuild() throws {
        let fixture = try BuildFixture()
        var greet = try fixture.greet()
        greet.sources[0].hash = Hasher.hash(.sha256, Array("not it".utf8))
        let error = #expect(throws: FetchError.self) { try fixture.realizer().realize([greet]) }
        #expect(error?.description.contains("hash mismatch for \(fixture.server.url("greet.tar.gz"))") == true)
        #expect(try fixture.store.validPaths() == [])
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<[StorePath], any Error>] = []
    func append(_ value: Result<[StorePath], any Error>) {
        lock.lock()
        storage.append(value)
        lock.unlock()
    }
    var values: [Result<[StorePath], any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
