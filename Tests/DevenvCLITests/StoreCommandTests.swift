import Foundation
import TestSupport
import Testing

struct StoreCommandTests {
    @Test func addPrintsTheSamePathsAsNix() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        let devenv = DevenvCLI(home: dir("home"))
        let nixPaths = try ["narA", "single.txt"].map {
            try Nix.add(dir($0), storeDirectory: devenv.storeDirectory, state: dir("nix-state"))
        }
        try dir.sh("chmod -R u+w home && rm -rf home")
        let result = try devenv("store", "add", dir("narA"), dir("single.txt"))
        #expect(result.status == 0)
        #expect(result.output == nixPaths.joined(separator: "\n"))
        #expect(try devenv("store", "add", dir("narA")).output == nixPaths[0])
        #expect(try devenv("store", "ls").output == nixPaths.sorted().joined(separator: "\n"))
    }

    @Test func hashPrintsEveryEncodingAsNixDoes() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        let devenv = DevenvCLI(home: dir("home"))
        let nixSRI = try runCommand(
            "/usr/bin/nix", ["--extra-experimental-features", "nix-command", "hash", "path", dir("narB")])
        #expect(try devenv("store", "hash", dir("narB")).output == nixSRI.output)
        #expect(
            try devenv("store", "hash", "--sri", dir("narB")).output
                == "sha256-XfvPt4S+g5t4eUsrjuHXIZkJ9YPGXqfhPoTVaMne4VU=")
        #expect(try devenv("store", "hash", "--base16", dir("narB")).output == (try Nix.narHash(dir("narB"))))
        #expect(
            try devenv("store", "hash", "--base32", dir("narB")).output
                == "0mg1vv4nimc47vhsfpn6hgshk691szhqwasbg5w9p0xyhjvwzysx")
        for type in ["sha1", "sha512", "md5"] {
            let nix = try runCommand("/usr/bin/nix-hash", ["--type", type, "--base32", dir("narB")])
            #expect(try devenv("store", "hash", "--type", type, "--base32", dir("narB")).output == nix.output)
        }
    }

    @Test func dumpAndRestoreRoundTripThroughNix() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        let devenv = DevenvCLI(home: dir("home"))
        let dumped = try devenv("store", "dump", dir("narB"))
        #expect(dumped.status == 0)
        #expect(dumped.stdout == (try Nix.dump(dir("narB"))))

        // What a killed restore into the same place left (its process is gone) goes first.
        try dir.sh(
            "mkdir -p .copy.restore-999999999/sub && touch .copy.restore-999999999/sub/f && chmod -R a-w .copy.restore-999999999"
        )
        #expect(try devenv("store", "restore", dir("copy"), input: dumped.stdout).status == 0)
        #expect(try Nix.dump(dir("copy")) == dumped.stdout)
        #expect(!FileManager.default.fileExists(atPath: dir(".copy.restore-999999999")))

        let again = try devenv("store", "restore", dir("copy"), input: dumped.stdout)
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists"))

        let truncated = try devenv("store", "restore", dir("broken"), input: dumped.stdout.prefix(500))
        #expect(truncated.status != 0)
        #expect(truncated.stderr.contains("truncated"))
        #expect(!FileManager.default.fileExists(atPath: dir("broken")))
    }

    @Test func pathInfoShowsHashesSizesAndClosures() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        let devenv = DevenvCLI(home: dir("home"))
        let path = try devenv("store", "add", dir("narA")).output
        #expect(
            try devenv("store", "path-info", path).output
                == "\(path)\tsha256-3+qR2bvuUuilEOikOh95wGjZRkf5HER88tvhBIQ+9V8=\t1280")
        #expect(try devenv("store", "path-info", "-S", path + "/sub/b.txt").output.hasSuffix("\t1280\t1280"))
        try dir.sh("ln -s '\(path)' result")
        #expect(try devenv("store", "path-info", "--recursive", dir("result")).output.hasPrefix(path))

        let json = try devenv("store", "path-info", "--json", "--closure-size", path)
        let objects = try JSONSerialization.jsonObject(with: json.stdout) as! [[String: Any]]
        #expect(objects.count == 1)
        #expect(objects[0]["path"] as? String == path)
        #expect(objects[0]["narHash"] as? String == "sha256-3+qR2bvuUuilEOikOh95wGjZRkf5HER88tvhBIQ+9V8=")
        #expect(objects[0]["narSize"] as? Int == 1280)
        #expect(objects[0]["closureSize"] as? Int == 1280)
        #expect(objects[0]["references"] as? [String] == [])
        #expect(objects[0]["ca"] as? String == "fixed:r:sha256:0pzm7s209qfvy9y4877r8x3djs60g4gkm97822jyhlpfpgcr3snz")
        #expect((objects[0]["registrationTime"] as? Int ?? 0) > 1_700_000_000)

        let invalid = try devenv(
            "store", "path-info", devenv.storeDirectory + "/00000000000000000000000000000000-nothing")
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("is not valid"))
    }

    @Test func verifyReportsTamperingAndRepairs() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        let devenv = DevenvCLI(home: dir("home"))
        let path = try devenv("store", "add", dir("narA")).output
        #expect(try devenv("store", "verify", "--check-contents").status == 0)
        try dir.sh("chmod u+w '\(path)/run.sh' && echo 'echo pwned' >> '\(path)/run.sh'")
        #expect(try devenv("store", "verify").status == 0)
        let caught = try devenv("store", "verify", "--check-contents")
        #expect(caught.status == 1)
        #expect(caught.stderr.hasPrefix("path '\(path)' was modified: expected NAR hash sha256-3+qR2bvu"))
        let repaired = try devenv("store", "verify", "--check-contents", "--repair")
        #expect(repaired.status == 0)
        #expect(repaired.output == "removed '\(path)' and its registration")
        #expect(try devenv("store", "ls").output == "")
    }
}
