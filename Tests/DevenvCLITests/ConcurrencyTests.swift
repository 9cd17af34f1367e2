import Foundation
import TestSupport
import Testing

/// Several processes on one store, and processes killed in the middle of an add.
struct ConcurrencyTests {
    /// A tree of 64 files, 40 MB in all: big enough that an add takes a while.
    func makeTree(in dir: TemporaryDirectory) throws {
        try dir.sh(
            """
            mkdir -p tree/a tree/b
            head -c 20000000 /dev/urandom > tree/a/big
            head -c 20000000 /dev/urandom > tree/b/big
            for i in $(seq 1 62); do echo "file $i" > tree/a/f$i; done
            """)
    }

    @Test func processesAddingOneTreeAtOnceAllGetTheOnePath() throws {
        let dir = try TemporaryDirectory()
        try makeTree(in: dir)
        let devenv = DevenvCLI(home: dir("home"))
        let outputs = (0..<8).map { dir("out\($0)") }
        let processes = try outputs.map { output in
            try ChildProcess(
                "/bin/sh", ["-c", "exec \"$0\" store add \"$1\" > \"$2\"", DevenvCLI.binary, dir("tree"), output],
                environment: devenv.environment)
        }
        #expect(try processes.allSatisfy { try $0.wait() == 0 })
        let paths = Set(try outputs.map { try String(contentsOfFile: $0, encoding: .utf8) })
        #expect(paths.count == 1)
        #expect(try devenv("store", "ls").output + "\n" == paths.first)
        #expect(try devenv("store", "verify", "--check-contents").status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: devenv.storeDirectory + "/.tmp") == [])
    }

    @Test func aProcessKilledAtAnyMomentLeavesAConsistentStore() throws {
        let dir = try TemporaryDirectory()
        try makeTree(in: dir)
        let devenv = DevenvCLI(home: dir("home"))
        // Time one whole add, then kill adds at moments spread over that span.
        let started = Date()
        let path = try devenv("store", "add", dir("tree")).output
        let span = Date().timeIntervalSince(started)
        try dir.sh("chmod -R u+w home && rm -rf home")
        for step in 0..<12 {
            let process = try devenv.start(["store", "add", dir("tree")])
            usleep(useconds_t(span * 1_000_000 * Double(step) / 10))
            process.kill()
            let verify = try devenv("store", "verify", "--check-contents")
            #expect(verify.status == 0, "after a kill at step \(step): \(verify.stderr)")
            let listed = try devenv("store", "ls").output
            #expect(listed == "" || listed == path, "step \(step)")
            let staging = try? FileManager.default.contentsOfDirectory(atPath: devenv.storeDirectory + "/.tmp")
            #expect((staging ?? []) == [], "step \(step)")
        }
        #expect(try devenv("store", "add", dir("tree")).output == path)
        #expect(try devenv("store", "verify", "--check-contents").status == 0)
    }
}
