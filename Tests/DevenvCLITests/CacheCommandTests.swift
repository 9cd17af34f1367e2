import DevenvBasics
import DevenvCache
import DevenvStore
import Foundation
import Glibc
import TestSupport
import Testing

/// `devenv cache`: keys in Nix's format, checked by Nix itself.
struct CacheCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nix")

    @Test func keygenWritesKeysThatNixAcceptsSignaturesOf() throws {
        let dir = try TemporaryDirectory("cache-keygen")
        let devenv = DevenvCLI(home: dir("home"))
        let made = try devenv("cache", "keygen", "devenv-test-1", "--secret", dir("sk"), "--public", dir("pk"))
        #expect(made.status == 0, "\(made.stderr)")
        let publicKey = try String(contentsOfFile: dir("pk"), encoding: .utf8)
        #expect(made.output == publicKey && publicKey.hasPrefix("devenv-test-1:") && publicKey.utf8.count == 58)
        var info = stat()
        #expect(stat(dir("sk"), &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir("sk"))).count == 102)
        // Never replaced: a secret is not lost by running it twice.
        let again = try devenv("cache", "keygen", "devenv-test-1", "--secret", dir("sk"), "--public", dir("other"))
        #expect(again.status == 1 && again.stderr.contains("exists; devenv does not replace a key file"))
        // Both files or neither: the secret written before the public key was refused is removed.
        let publicTaken = try devenv("cache", "keygen", "devenv-test-1", "--secret", dir("sk2"), "--public", dir("pk"))
        #expect(publicTaken.status == 1 && !FileManager.default.fileExists(atPath: dir("sk2")), "\(publicTaken.stderr)")
        #expect(try devenv("cache", "keygen", "../escape").status != 0)
        // The defaults: under $DEVENV_HOME/cache-keys.
        #expect(try devenv("cache", "keygen", "second-1").status == 0)
        #expect(FileManager.default.fileExists(atPath: dir("home/cache-keys/second-1.secret")))

        // Nix's own cache, signed again with the new key only: Nix trusts it under that key alone.
        try dir.sh("cp -r '\(Self.fixtures.path)/binary-cache' cache && chmod -R u+w cache")
        let key = try SigningKey(parsing: try String(contentsOfFile: dir("sk"), encoding: .utf8))
        let store = StoreDirectory("/nix/store")
        for name in try FileManager.default.contentsOfDirectory(atPath: dir("cache")) where name.hasSuffix(".narinfo") {
            var narinfo = try NarInfo(
                parsing: try String(contentsOfFile: dir("cache/" + name), encoding: .utf8), storeDirectory: store,
                source: name)
            narinfo.signatures = []
            try narinfo.sign(with: key, storeDirectory: store)
            try narinfo.text(storeDirectory: store).write(
                toFile: dir("cache/" + name), atomically: true, encoding: .utf8)
        }
        func verify(_ trusted: String) throws -> CommandResult {
            try runCommand(
                "/usr/bin/nix",
                [
                    "--extra-experimental-features", "nix-command", "store", "verify", "--store",
                    "file://" + dir("cache"),
                    "--trusted-public-keys", trusted, "--sigs-needed", "1", "-r",
                    "/nix/store/jpg0gis7fhrbnyx6hjv4xr3g23sx2rib-main-dev",
                ], environment: ["XDG_CACHE_HOME": dir("nix-cache"), "HOME": dir.path, "PATH": "/usr/bin:/bin"])
        }
        let accepted = try verify(publicKey)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let original = try String(contentsOf: Self.fixtures.appendingPathComponent("keys/pk"), encoding: .utf8)
        #expect(try verify(original).status != 0)
    }

    /// A push with a key signs what the cache has already, as `nix store sign` would: a cache pushed
    /// unsigned, or signed with a key being rotated out, takes the key's signature without the
    /// NAR being pushed again. A narinfo that describes another NAR is not signed.
    @Test func aPushSignsWhatTheCacheHasWithTheKeysItLacks() throws {
        let dir = try TemporaryDirectory("cache-sign")
        try dir.sh("mkdir set")
        try """
        [tool]
        version = "1"
        description = "d"
        homepage = "h"
        license = "l"
        origin = "o"
        script = "mkdir -p $out && echo tool > $out/tool"
        """.write(toFile: dir("set/set.toml"), atomically: true, encoding: .utf8)
        let devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true", "DEVENV_STORE_DIR": dir("store")])
        let tool = try devenv("build", "--packages", dir("set"), "tool").output
        let cache = "file://" + dir("cache")
        let narinfo = dir("cache/\(URL(fileURLWithPath: tool).lastPathComponent.prefix(32)).narinfo")
        func push(_ arguments: String...) throws -> String {
            let pushed = try runCommand(
                DevenvCLI.binary, ["cache", "push", "--to", cache] + arguments + [tool], environment: devenv.environment
            )
            #expect(pushed.status == 0, "\(pushed.stderr)")
            return pushed.stderr
        }
        #expect(try push().contains("warning: no secret key (--key FILE, or config.toml's [cache] secret-key-files)"))
        let nar = try FileManager.default.contentsOfDirectory(atPath: dir("cache/nar"))
        for name in ["one", "two", "three"] {
            #expect(
                try devenv("cache", "keygen", "\(name)-1", "--secret", dir(name), "--public", dir(name + ".pub")).status
                    == 0)
        }
        // What is not a key file says so, and one that never ends is not read to its end.
        for (file, message) in [
            (dir("cache"), "cannot read the secret key file \(dir("cache")): Is a directory"),
            ("/dev/zero", "the secret key file /dev/zero is not text of at most 4096 bytes"),
        ] {
            let refused = try devenv("cache", "push", "--to", cache, "--key", file, tool)
            #expect(refused.status == 1 && refused.stderr.contains(message), "\(refused.stderr)")
        }
        #expect(try push("--key", dir("one")).contains("(1 already there, 1 of them signed now)"))
        #expect(try push("--key", dir("one")).hasSuffix("(1 already there)\n"))
        #expect(try push("--key", dir("two")).contains("1 of them signed now"))
        let signed = try String(contentsOfFile: narinfo, encoding: .utf8)
        #expect(signed.contains("\nSig: one-1:") && signed.contains("\nSig: two-1:"), "\(signed)")
        // The NAR was not pushed again, and Nix takes either key.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("cache/nar")) == nar)
        for key in ["one", "two"] {
            let verified = try runCommand(
                "/usr/bin/nix",
                [
                    "--extra-experimental-features", "nix-command", "store", "verify", "--store",
                    "\(cache)?store=\(dir("store"))", "--trusted-public-keys",
                    try String(contentsOfFile: dir(key + ".pub"), encoding: .utf8), "--sigs-needed", "1", tool,
                ], environment: ["XDG_CACHE_HOME": dir("nix-cache"), "HOME": dir.path, "PATH": "/usr/bin:/bin"])
            #expect(verified.status == 0, "\(verified.stderr)")
        }
        // Another NAR under the path's name: left as it is.
        let other = signed.replacingOccurrences(of: "\nNarSize: ", with: "\nNarSize: 1")
        try other.write(toFile: narinfo, atomically: true, encoding: .utf8)
        let refused = try push("--key", dir("three"))
        #expect(
            refused.contains("warning: \(cache)/")
                && refused.contains(
                    "another NAR of \(tool) than this store's (its hash, size or references differ); not signed")
                && refused.hasSuffix("(1 already there)\n"), "\(refused)")
        #expect(try String(contentsOfFile: narinfo, encoding: .utf8) == other)
    }

    @Test func aPushedClosureIsSubstitutedIntoAnotherHomeWithoutBuildingAnything() throws {
        let dir = try TemporaryDirectory("cache-push")
        let storeDirectory = dir("store")
        try dir.sh("mkdir set")
        try """
        [tool]
        version = "1"
        description = "what app is built with"
        homepage = "h"
        license = "l"
        origin = "o"
        script = "mkdir -p $out/bin && printf '#!/bin/sh\\\\necho tool\\\\n' > $out/bin/tool && chmod +x $out/bin/tool"

        [app]
        version = "1"
        description = "built with tool"
        homepage = "h"
        license = "l"
        origin = "o"
        dependencies = ["tool"]
        script = "mkdir -p $out/bin && printf '#!/bin/sh\\\\necho app\\\\n' > $out/bin/app && chmod +x $out/bin/app"
        """.write(toFile: dir("set/set.toml"), atomically: true, encoding: .utf8)
        let first = DevenvCLI(home: dir("first"), environment: ["CI": "true", "DEVENV_STORE_DIR": storeDirectory])
        let built = try first("build", "--packages", dir("set"), "app", "tool")
        #expect(built.status == 0, "\(built.stderr)")
        let lines = built.output.split(separator: "\n").map(String.init)
        let (app, tool) = (lines[0], lines[1])
        #expect(try first("cache", "keygen", "test-1", "--secret", dir("sk"), "--public", dir("pk")).status == 0)
        let pushed = try first("cache", "push", "--to", "file://" + dir("cache"), "--key", dir("sk"), app)
        #expect(pushed.status == 0 && pushed.stderr.contains("pushed 1 paths to file://"), "\(pushed.stderr)")
        let again = try first("cache", "push", "--to", "file://" + dir("cache"), "--key", dir("sk"), app)
        #expect(
            again.stderr.contains("pushed 0 paths") && again.stderr.contains("(1 already there)"), "\(again.stderr)")
        // Nix reads what devenv wrote: the same narinfo, signature and NAR.
        let narinfo = try String(
            contentsOfFile: dir("cache/\(URL(fileURLWithPath: app).lastPathComponent.prefix(32)).narinfo"),
            encoding: .utf8)
        #expect(narinfo.hasPrefix("StorePath: \(app)\nURL: nar/") && narinfo.contains("\nSig: test-1:"))

        // The first home and its store are gone; the second has only the cache.
        try dir.sh("chmod -R u+w first store && rm -rf first store")
        let publicKey = try String(contentsOfFile: dir("pk"), encoding: .utf8)
        try dir.sh("mkdir second")
        try """
        [cache]
        substituters = ["file://\(dir("cache"))"]
        trusted-public-keys = ["\(publicKey)"]
        """.write(toFile: dir("second/config.toml"), atomically: true, encoding: .utf8)
        let second = DevenvCLI(home: dir("second"), environment: ["CI": "true", "DEVENV_STORE_DIR": storeDirectory])
        // Under a umask that takes everything from group and others: the store's modes all the same.
        let substituted = try runCommand(
            "/bin/sh",
            ["-c", "umask 077 && exec \"$0\" \"$@\"", DevenvCLI.binary, "build", "--packages", dir("set"), "app"],
            environment: second.environment)
        #expect(substituted.status == 0 && substituted.output == app, "\(substituted.stderr)")
        #expect(substituted.stderr.contains("substituted \(app) from file://"), "\(substituted.stderr)")
        #expect(!substituted.stderr.contains("building"), "\(substituted.stderr)")
        // What app was built with is not needed to have it.
        #expect(!FileManager.default.fileExists(atPath: tool))
        #expect(try runCommand(app + "/bin/app", []).output == "app")
        #expect(
            try runCommand("/usr/bin/stat", ["-c", "%a", app, app + "/bin", app + "/bin/app"]).output == "555\n555\n555"
        )
        // The signature came along: pushed on with another key, the path has both, and either
        // key alone is enough for Nix.
        let info = try second("store", "path-info", "--json", app)
        #expect(info.output.contains("\"signatures\":[\"test-1:"), "\(info.output)")
        #expect(try second("cache", "keygen", "test-2", "--secret", dir("sk2"), "--public", dir("pk2")).status == 0)
        #expect(try second("cache", "push", "--to", "file://" + dir("cache2"), "--key", dir("sk2"), app).status == 0)
        let rotated = try String(
            contentsOfFile: dir("cache2/\(URL(fileURLWithPath: app).lastPathComponent.prefix(32)).narinfo"),
            encoding: .utf8)
        #expect(rotated.contains("\nSig: test-1:") && rotated.contains("\nSig: test-2:"), "\(rotated)")
        for key in [publicKey, try String(contentsOfFile: dir("pk2"), encoding: .utf8)] {
            let verified = try runCommand(
                "/usr/bin/nix",
                [
                    "--extra-experimental-features", "nix-command", "store", "verify", "--store",
                    "file://\(dir("cache2"))?store=\(storeDirectory)", "--trusted-public-keys", key, "--sigs-needed",
                    "1",
                    app,
                ], environment: ["XDG_CACHE_HOME": dir("nix-cache"), "HOME": dir.path, "PATH": "/usr/bin:/bin"])
            #expect(verified.status == 0, "\(verified.stderr)")
        }

        // Over HTTP, after a cache that is down (asked once, then not again).
        try dir.sh("chmod -R u+w store second && rm -rf store second/store second/db.sqlite*")
        let server = try HTTPServer(root: dir("cache"))
        try """
        [cache]
        substituters = ["http://127.0.0.1:9/down", "\(server.url(""))"]
        trusted-public-keys = ["\(publicKey)"]
        [fetch]
        attempts = 1
        """.write(toFile: dir("second/config.toml"), atomically: true, encoding: .utf8)
        let overHTTP = try second("build", "--packages", dir("set"), "app")
        #expect(overHTTP.status == 0 && overHTTP.output == app, "\(overHTTP.stderr)")
        #expect(overHTTP.stderr.contains("substituted \(app) from http://127.0.0.1:"), "\(overHTTP.stderr)")
        #expect(overHTTP.stderr.components(separatedBy: "http://127.0.0.1:9/down: ").count == 2, "\(overHTTP.stderr)")
        #expect(!overHTTP.stderr.contains("building"), "\(overHTTP.stderr)")

        // After a cache that accepts connections and never answers: one timeout, not one per
        // attempt or per path (the connections it was asked on are counted).
        try dir.sh("chmod -R u+w store second && rm -rf store second/store second/db.sqlite*")
        let (hung, hungPort) = try #require(Loopback.bind(port: 0))
        defer { close(hung) }
        #expect(listen(hung, 16) == 0)
        try """
        [cache]
        substituters = ["http://127.0.0.1:\(hungPort)/hung", "\(server.url(""))"]
        trusted-public-keys = ["\(publicKey)"]
        [fetch]
        stall-timeout = 1
        """.write(toFile: dir("second/config.toml"), atomically: true, encoding: .utf8)
        let afterHung = try second("build", "--packages", dir("set"), "app")
        #expect(afterHung.status == 0 && afterHung.output == app, "\(afterHung.stderr)")
        #expect(afterHung.stderr.contains("substituted \(app) from http://127.0.0.1:"), "\(afterHung.stderr)")
        _ = fcntl(hung, F_SETFL, O_NONBLOCK)
        var connections = 0
        while case let connection = accept(hung, nil, nil), connection >= 0 {
            connections += 1
            close(connection)
        }
        #expect(connections == 1, "\(afterHung.stderr)")

        // A key the configuration does not trust: refused, said, and built instead.
        try dir.sh("chmod -R u+w store second && rm -rf store second/store second/db.sqlite*")
        try """
        [cache]
        substituters = ["file://\(dir("cache"))"]
        trusted-public-keys = ["other-1:\(Data(count: 32).base64EncodedString())"]
        """.write(toFile: dir("second/config.toml"), atomically: true, encoding: .utf8)
        let untrusted = try second("build", "--packages", dir("set"), "app")
        #expect(untrusted.status == 0 && untrusted.output == app, "\(untrusted.stderr)")
        // Said once, though the output is asked for both before planning and when it is built.
        #expect(
            untrusted.stderr.components(separatedBy: "narinfo: no signature by a trusted key").count == 2,
            "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("building app"), "\(untrusted.stderr)")
    }

    @Test func anotherUsersCacheIsRewrittenIntoThisStoreAndItsProgramsRun() throws {
        let fixture = try DebianCommandTests.Fixture()
        let (dir, alice) = (fixture.dir, fixture.devenv)
        try fixture.project(["debian:testing/hello"])
        #expect(try alice("cache", "keygen", "alice-1", "--secret", dir("sk"), "--public", dir("pk")).status == 0)
        // --locked: the project's lock must be there and current, as for `develop`.
        let unlocked = try alice(
            "cache", "push", "--to", "file://" + dir("cache"), "--key", dir("sk"), "--project", "--locked", "-C",
            dir("proj"))
        #expect(unlocked.status == 1 && unlocked.stderr.contains("devenv.lock"), "\(unlocked.stderr)")
        let pushed = try alice(
            "cache", "push", "--to", "file://" + dir("cache"), "--key", dir("sk"), "--project", "-C", dir("proj"))
        #expect(pushed.status == 0, "\(pushed.stderr)")
        // Bob's home is elsewhere, at a path of another length: his store directory differs, padded
        // to the same length as Alice's.
        try dir.sh("mkdir -p users/robert-with-a-longer-name")
        let bob = DevenvCLI(
            home: dir("users/robert-with-a-longer-name/.local/share/devenv"), environment: ["CI": "true"])
        #expect(bob.storeDirectory != alice.storeDirectory)
        #expect(bob.storeDirectory.utf8.count == alice.storeDirectory.utf8.count)
        #expect(bob.storeDirectory.utf8.count == StoreLocation.paddedLength)
        // Nothing can be fetched: Debian's mirror is gone.
        try FileManager.default.createDirectory(atPath: bob.home, withIntermediateDirectories: true)
        try """
        [mirrors]
        "https://deb.debian.org/debian/" = "http://127.0.0.1:9/"
        "https://snapshot.debian.org/archive/debian/" = "http://127.0.0.1:9/"
        [fetch]
        attempts = 1
        [cache]
        substituters = ["file://\(dir("cache"))"]
        trusted-public-keys = ["\(try String(contentsOfFile: dir("pk"), encoding: .utf8))"]
        """.write(toFile: bob.home + "/config.toml", atomically: true, encoding: .utf8)
        let ran = try bob("develop", "--frozen", "-C", dir("proj"), "-c", "sh", "-c", "hello && args-script a")
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(ran.output.hasPrefix("hello, world\n[-x][\(bob.storeDirectory)/"), "\(ran.output)")
        #expect(ran.stderr.contains("substituted \(bob.storeDirectory)/"), "\(ran.stderr)")
        #expect(!ran.stderr.contains("building") && !ran.stderr.contains("fetching"), "\(ran.stderr)")
        // Nothing of Alice's store is left in Bob's, and what Bob's records is what it holds.
        let grep = try runCommand("/bin/grep", ["-rlF", alice.storeDirectory, bob.storeDirectory])
        #expect(grep.status == 1, "\(grep.output)")
        let hello = try runCommand(
            "/bin/sh",
            [
                "-c",
                "readelf -lW \(bob.storeDirectory)/*-hello-1.0-1/usr/bin/hello; readelf -dW \(bob.storeDirectory)/*-hello-1.0-1/usr/bin/hello",
            ])
        #expect(hello.output.contains("interpreter: \(bob.storeDirectory)/"), "\(hello.output)")
        #expect(
            hello.output.contains("(RUNPATH)") && hello.output.contains("[\(bob.storeDirectory)/"), "\(hello.output)")
        let verified = try bob("store", "verify")
        #expect(verified.status == 0, "\(verified.stderr)")

        // A store directory of another length cannot be rewritten into: the cache is skipped, and why is said.
        let carol = DevenvCLI(
            home: dir("carol"), environment: ["CI": "true", "DEVENV_STORE_DIR": dir("carol-store")])
        try FileManager.default.createDirectory(atPath: carol.home, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: bob.home + "/config.toml", toPath: carol.home + "/config.toml")
        let skipped = try carol("develop", "--frozen", "-C", dir("proj"), "-c", "hello")
        #expect(skipped.status != 0)
        #expect(
            skipped.stderr.contains(
                "its paths are for \(alice.storeDirectory), not \(dir("carol-store")), and only store directories of the same length"
            ),
            "\(skipped.stderr)")
    }

    @Test func theCachesAProjectSuggestsAreUsedOnlyOnceItIsAllowed() throws {
        let fixture = try DebianCommandTests.Fixture()
        let (dir, alice) = (fixture.dir, fixture.devenv)
        #expect(try alice("cache", "keygen", "team-1", "--secret", dir("sk"), "--public", dir("pk")).status == 0)
        let publicKey = try String(contentsOfFile: dir("pk"), encoding: .utf8)
        let manifest = """
            [shell]
            packages = ["debian:testing/hello"]

            [cache]
            substituters = ["file://\(dir("cache"))"]
            trusted-public-keys = ["\(publicKey)"]

            """
        try manifest.write(toFile: dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        let pushed = try alice(
            "cache", "push", "--to", "file://" + dir("cache"), "--key", dir("sk"), "--project", "-C", dir("proj"))
        #expect(pushed.status == 0, "\(pushed.stderr)")
        // Bob has no cache configured and cannot fetch anything.
        let bob = DevenvCLI(home: dir("bob"), environment: ["CI": "true"])
        try FileManager.default.createDirectory(atPath: bob.home, withIntermediateDirectories: true)
        try """
        [mirrors]
        "https://deb.debian.org/debian/" = "http://127.0.0.1:9/"
        [fetch]
        attempts = 1
        """.write(toFile: bob.home + "/config.toml", atomically: true, encoding: .utf8)
        let before = try bob("develop", "--frozen", "-C", dir("proj"), "-c", "hello")
        #expect(before.status != 0)
        #expect(
            before.stderr.contains(
                "devenv.toml suggests binary caches (file://\(dir("cache"))); they are used once you run `devenv allow`"
            ),
            "\(before.stderr)")
        #expect(!before.stderr.contains("substituted"), "\(before.stderr)")
        let allowed = try bob("allow", dir("proj"))
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(
            allowed.output.contains(
                "its devenv.toml suggests, now used for it:\n  cache file://\(dir("cache"))\n  trusted key \(publicKey)"
            ),
            "\(allowed.output)")
        // The hook's background realization substitutes (from the suggested cache), and then
        // develop has everything.
        let hooked = try bob("hook-realize", "bash", dir("proj"))
        #expect(hooked.status == 0 && hooked.stderr.contains("substituted "), "\(hooked.stderr)")
        let after = try bob("develop", "--frozen", "-C", dir("proj"), "-c", "hello")
        #expect(after.status == 0 && after.output == "hello, world", "\(after.stderr)")
        #expect(!after.stderr.contains("substituted "), "\(after.stderr)")
        #expect(try bob("check", "-C", dir("proj")).status == 0)
        // An edit blocks the project, and its suggestions, again.
        try (manifest + "# edited\n").write(toFile: dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        try dir.sh("chmod -R u+w bob && rm -rf bob/store_* bob/db.sqlite*")
        let edited = try bob("check", "-C", dir("proj"))
        #expect(
            edited.status != 0 && edited.stderr.contains("they are used once you run `devenv allow`"),
            "\(edited.stderr)")

        // What a project may not suggest, and what is not a cache or a key, at its place.
        for (table, message) in [
            ("secret-key-files = [\"/home/me/key\"]", "devenv.toml:6:1: unknown key 'secret-key-files' in 'cache'"),
            // An S3 cache would be asked with the user's AWS credentials, at the project's endpoint.
            (
                "substituters = [\"s3://cache?endpoint=evil.example:9000\"]",
                "devenv.toml:6:17: a project cannot suggest an S3 cache: it would be read with your AWS credentials"
            ),
            ("substituters = [\"ftp://x\"]", "devenv.toml:6:17: \"ftp://x\" is not a binary cache"),
            // A control character is shown escaped: the error stays one line.
            ("substituters = [\"s3://x\\nEvil: 1\"]", "\"s3://x\\nEvil: 1\" is not a URL: it holds U+000A"),
            // One that would hide itself from `devenv allow`'s list on a terminal.
            (
                "substituters = [\"https://evil.example/c\\u001b[2K\\r\"]",
                "\"https://evil.example/c\\u{1B}[2K\\r\" is not a URL: it holds U+001B"
            ),
            ("trusted-public-keys = [\"k:AAAA\"]", "devenv.toml:6:24: the public key 'k' is not 32 bytes"),
        ] {
            try "[shell]\npackages = [\"debian:testing/hello\"]\n\n[cache]\n\n\(table)\n"
                .write(toFile: dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
            let refused = try bob("lock", "-C", dir("proj"))
            #expect(refused.status == 2 && refused.stderr.contains(message), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        }
    }

    @Test(.enabled(if: S3Server.isAvailable, "scripts/install-test-tools makes the S3 server"))
    func anS3BucketTakesSignedPushesAndServesSubstitution() throws {
        let dir = try TemporaryDirectory("cache-s3")
        let (first, app) = try Self.builtApp(in: dir, printing: "from s3", key: "s3-1")
        let server = try S3Server()
        func push(_ credentials: S3Server.Credentials) throws -> CommandResult {
            var devenv = first
            devenv.extraEnvironment.merge(S3Server.environment(credentials)) { $1 }
            return try devenv("cache", "push", "--to", server.cacheURL, "--key", dir("sk"), app)
        }
        let pushed = try push(server.user)
        #expect(pushed.status == 0 && pushed.stderr.contains("pushed 1 paths"), "\(pushed.stderr)")
        #expect(try push(server.user).stderr.contains("pushed 0 paths"))
        var checker = first
        checker.extraEnvironment.merge(S3Server.environment(server.user)) { $1 }
        let verified = try checker(
            "cache", "verify", server.cacheURL, app, "--trusted-public-key",
            try String(contentsOfFile: dir("pk"), encoding: .utf8))
        #expect(verified.status == 0 && verified.stderr == "checked 1 paths: no problems\n", "\(verified.stderr)")
        // A wrong secret is refused by the server, and said.
        let forged = try push(S3Server.Credentials(id: server.user.id, secret: "wrong"))
        #expect(forged.status == 1 && forged.stderr.contains("HTTP 403"), "\(forged.stderr)")

        // Another home substitutes with session credentials (a token), from a profile of the
        // shared credentials file.
        try dir.sh("chmod -R u+w store && rm -rf store && mkdir second")
        try """
        [ci]
        aws_access_key_id = \(server.session.id)
        aws_secret_access_key = \(server.session.secret)
        aws_session_token = \(server.session.token!)
        """.write(toFile: dir("credentials"), atomically: true, encoding: .utf8)
        try """
        [cache]
        substituters = ["\(server.cacheURL)&profile=ci"]
        trusted-public-keys = ["\(try String(contentsOfFile: dir("pk"), encoding: .utf8))"]
        """.write(toFile: dir("second/config.toml"), atomically: true, encoding: .utf8)
        var environment = S3Server.environment(S3Server.Credentials(id: "", secret: ""))
        environment.merge([
            "CI": "true", "DEVENV_STORE_DIR": dir("store"), "AWS_SHARED_CREDENTIALS_FILE": dir("credentials"),
        ]) { $1 }
        let second = DevenvCLI(home: dir("second"), environment: environment)
        let substituted = try second("build", "--packages", dir("set"), "app")
        #expect(substituted.status == 0 && substituted.output == app, "\(substituted.stderr)")
        #expect(substituted.stderr.contains("substituted \(app) from s3://cache?"), "\(substituted.stderr)")
        #expect(try runCommand(app + "/bin/app", []).output == "from s3")
        // Without the token the session's key is refused: the path is built instead.
        try dir.sh("chmod -R u+w store && rm -rf store second/db.sqlite* second/narinfo-misses")
        try dir.sh("sed -i '/aws_session_token/d' credentials")
        let refused = try second("build", "--packages", dir("set"), "app")
        #expect(refused.status == 0 && refused.stderr.contains("building app"), "\(refused.stderr)")
        #expect(refused.stderr.contains("\(server.cacheURL)&profile=ci: "), "\(refused.stderr)")
    }

    /// A redirect to another host would carry the session token there: libcurl drops only
    /// `Authorization` and `Cookie` on the way. So an S3 request follows none, while a plain
    /// HTTP cache's redirect is followed.
    @Test func anS3RequestFollowsNoRedirectToAnotherHost() throws {
        let dir = try TemporaryDirectory("cache-s3-redirect")
        try dir.sh("mkdir served && cp -r '\(Self.fixtures.path)/binary-cache' served/cache")
        let server = try HTTPServer(root: dir("served"))
        var environment = S3Server.environment(S3Server.Credentials(id: "AKID", secret: "secret", token: "hush"))
        environment["CI"] = "true"
        let devenv = DevenvCLI(home: dir("home"), environment: environment)
        let main = "/nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main"
        let followed = try devenv("cache", "verify", server.url("elsewhere/cache"), main)
        #expect(followed.status == 0 && followed.stderr.contains("checked 3 paths: no problems"), "\(followed.stderr)")
        let bucket = "s3://elsewhere?endpoint=127.0.0.1:\(server.port)&scheme=http&region=us-east-1"
        let s3 = try devenv("cache", "verify", bucket, main)
        #expect(
            s3.status == 1 && s3.stderr.contains("HTTP 307 Temporary Redirect, a redirect not followed"), "\(s3.stderr)"
        )
        let signed = try server.requests().filter(\.token).map(\.path)
        #expect(!signed.isEmpty && signed.allSatisfy { $0.hasPrefix("/elsewhere") }, "\(signed)")
    }

    @Test func anHTTPCacheTakesPushesWithABearerToken() throws {
        let dir = try TemporaryDirectory("cache-put")
        let (devenv, app) = try Self.builtApp(in: dir, printing: "put", key: "put-1")
        try dir.sh("mkdir served && printf 'sesame\\n' > served/.put-token && printf 'sesame\\n' > token")
        let server = try HTTPServer(root: dir("served"))
        let refused = try devenv("cache", "push", "--to", server.url("team"), "--key", dir("sk"), app)
        #expect(refused.status == 1 && refused.stderr.contains("HTTP 401 Unauthorized"), "\(refused.stderr)")
        try "[cache]\ntoken-file = \"../token\"\n".write(
            toFile: dir("home/config.toml"), atomically: true, encoding: .utf8)
        let pushed = try devenv("cache", "push", "--to", server.url("team"), "--key", dir("sk"), app)
        #expect(pushed.status == 0 && pushed.stderr.contains("pushed 1 paths"), "\(pushed.stderr)")
        // NARs before narinfos, and nix-cache-info first.
        let puts = try server.requests().map(\.path).filter { $0.hasPrefix("PUT ") && !$0.contains("nix-cache-info") }
        #expect(puts.count == 2 && puts[0].hasPrefix("PUT /team/nar/") && puts[1].hasSuffix(".narinfo"), "\(puts)")
        let verified = try devenv("cache", "verify", "file://" + dir("served/team"))
        #expect(verified.status == 0, "\(verified.stderr)")
        // The variable wins over the file.
        var other = devenv
        other.extraEnvironment["DEVENV_CACHE_TOKEN"] = "wrong"
        #expect(try other("cache", "push", "--to", server.url("other"), "--key", dir("sk"), app).status == 1)
    }

    /// A package `app` printing `word` (`bulky`: with 7 MB of numbers beside it, a NAR of four zstd
    /// frames), built in a home whose store is `dir/store`, and a key pair named `key` in `dir/sk`
    /// and `dir/pk`.
    static func builtApp(
        in dir: TemporaryDirectory, printing word: String, key: String, bulky: Bool = false
    ) throws -> (DevenvCLI, String) {
        try dir.sh("mkdir set")
        try """
        [app]
        version = "1"
        description = "d"
        homepage = "h"
        license = "l"
        origin = "o"
        script = "mkdir -p $out/bin && printf '#!/bin/sh\\\\necho \(word)\\\\n' > $out/bin/app && chmod +x $out/bin/app\(bulky ? " && seq 1 1000000 > $out/numbers" : "")"
        """.write(toFile: dir("set/set.toml"), atomically: true, encoding: .utf8)
        let devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true", "DEVENV_STORE_DIR": dir("store")])
        let app = try devenv("build", "--packages", dir("set"), "app").output
        #expect(try devenv("cache", "keygen", key, "--secret", dir("sk"), "--public", dir("pk")).status == 0)
        return (devenv, app)
    }

    @Test func nixVerifiesAndCopiesWhatDevenvPushes() throws {
        let dir = try TemporaryDirectory("cache-nix")
        let (devenv, app) = try Self.builtApp(in: dir, printing: "app", key: "t-1", bulky: true)
        #expect(try devenv("cache", "push", "--to", "file://" + dir("cache"), "--key", dir("sk"), app).status == 0)
        let publicKey = try String(contentsOfFile: dir("pk"), encoding: .utf8)
        func nix(_ arguments: [String]) throws -> CommandResult {
            try runCommand(
                "/usr/bin/nix", ["--extra-experimental-features", "nix-command"] + arguments,
                environment: ["XDG_CACHE_HOME": dir("nix-cache"), "HOME": dir.path, "PATH": "/usr/bin:/bin"])
        }
        // The cache's paths are for devenv's store directory; Nix is told so with `?store=`.
        let cache = "file://\(dir("cache"))?store=\(dir("store"))"
        let verified = try nix([
            "store", "verify", "--store", cache, "--trusted-public-keys", publicKey, "--sigs-needed", "1", app,
        ])
        #expect(verified.status == 0, "\(verified.stderr)")
        // zstd by default; xz and none on request, each as Nix reads it.
        let narinfo = try String(
            contentsOfFile: dir("cache/\(URL(fileURLWithPath: app).lastPathComponent.prefix(32)).narinfo"),
            encoding: .utf8)
        #expect(narinfo.contains(".nar.zst\nCompression: zstd\n"), "\(narinfo)")
        // In frames that Nix reads as one stream.
        #expect(try dir.sh("zstd -lv cache/nar/*.nar.zst").contains("# Zstandard Frames: 4"))
        for compression in ["xz", "none"] {
            #expect(
                try devenv(
                    "cache", "push", "--to", "file://" + dir(compression), "--key", dir("sk"), "--compression",
                    compression,
                    app
                ).status == 0)
            let other = "file://\(dir(compression))?store=\(dir("store"))"
            let checked = try nix(["store", "verify", "--store", other, "--trusted-public-keys", publicKey, app])
            #expect(checked.status == 0, "\(compression): \(checked.stderr)")
        }
        let stranger =
            "other-1:"
            + (try String(contentsOf: Self.fixtures.appendingPathComponent("keys/pk"), encoding: .utf8))
            .split(separator: ":")[1]
        #expect(
            try nix(["store", "verify", "--store", cache, "--trusted-public-keys", stranger, "--sigs-needed", "1", app])
                .status != 0)
        /// Nix copies the path from `source` into a Nix store of its own named `name`, and it runs.
        func copy(from source: String, into name: String) throws {
            let copied = try nix([
                "copy", "--from", source, "--to",
                "local?store=\(dir("store"))&state=\(dir(name + "/state"))&log=\(dir(name + "/log"))&real=\(dir(name + "/real"))",
                "--option", "trusted-public-keys", publicKey, app,
            ])
            #expect(copied.status == 0, "\(copied.stderr)")
            let program = dir(name + "/real/") + URL(fileURLWithPath: app).lastPathComponent + "/bin/app"
            #expect(try runCommand(program, []).output == "app")
        }
        try copy(from: cache, into: "nix-file")
        // The same cache behind a plain static web server.
        let server = try HTTPServer(root: dir("cache"))
        try copy(from: server.url("") + "?store=\(dir("store"))", into: "nix-http")
    }

    @Test func verifyChecksEveryPathOfACache() throws {
        let dir = try TemporaryDirectory("cache-verify")
        try dir.sh("cp -r '\(Self.fixtures.path)/binary-cache' cache && chmod -R u+w cache")
        let devenv = DevenvCLI(home: dir("home"))
        let sound = try devenv("cache", "verify", "file://" + dir("cache"))
        #expect(
            sound.status == 0
                && sound.stderr
                    == "checked 7 paths: no problems (signatures not checked: no --trusted-public-key, and config.toml trusts no key)\n",
            "\(sound.stderr)")
        let publicKey = try String(contentsOf: Self.fixtures.appendingPathComponent("keys/pk"), encoding: .utf8)
        let signed = try devenv(
            "cache", "verify", "file://" + dir("cache"), "--trusted-public-key", publicKey)
        // The fixture's signed paths verify, and its unsigned ones are content-addressed (.drv, unused.txt).
        #expect(signed.status == 0 && signed.stderr == "checked 7 paths: no problems\n", "\(signed.stderr)")
        let stranger = try devenv(
            "cache", "verify", "file://" + dir("cache"), "--trusted-public-key",
            "other-1:" + publicKey.split(separator: ":")[1])
        #expect(stranger.stderr.contains("d1zr5kplxg5r89v1426yx4wgg5nlqw36.narinfo: no signature by a trusted key"))
        #expect(!stranger.stderr.contains("cpx6j7hqzy76wfkbz9ml128igz76srkz.narinfo"), "\(stranger.stderr)")
        // A NAR changed, and a reference gone.
        try dir.sh(
            """
            sed -i 's/hello/jello/' cache/nar/0pzm7s209qfvy9y4877r8x3djs60g4gkm97822jyhlpfpgcr3snz.nar
            rm cache/rcz8aqa9lzcygdcn1q53xz03vc3svrcp.narinfo
            """)
        let broken = try devenv("cache", "verify", "file://" + dir("cache"))
        #expect(broken.status == 1, "\(broken.stderr)")
        #expect(
            broken.stderr.contains("ikiifxrnjzkm8b336gkxxrqk1s8shnip.narinfo: its NAR file does not have the FileHash"))
        #expect(
            broken.stderr.contains(
                "d1zr5kplxg5r89v1426yx4wgg5nlqw36.narinfo: its reference rcz8aqa9lzcygdcn1q53xz03vc3svrcp-fod is not in the cache"
            ))
        #expect(broken.stderr.contains("checked 6 paths: 2 problems (signatures not checked"), "\(broken.stderr)")
    }

    @Test func serveAnswersNixWithSignedNarinfosAndStreamedNars() throws {
        let dir = try TemporaryDirectory("cache-serve")
        let (devenv, app) = try Self.builtApp(in: dir, printing: "served", key: "serve-1")
        let (socket, port) = try #require(Loopback.bind(port: 0))
        close(socket)
        let server = try devenv.start(["cache", "serve", "--port", String(port), "--sign-with", dir("sk")])
        defer { server.kill() }
        let deadline = Date().addingTimeInterval(20)
        while !Loopback.accepts(port: port), Date() < deadline { usleep(20_000) }
        let base = "http://127.0.0.1:\(port)"
        func get(_ path: String, _ flags: [String] = [], range: String = "") throws -> CommandResult {
            try runCommand(
                "/usr/bin/python3",
                [
                    "-c",
                    """
                    import sys, urllib.request, urllib.error
                    try:
                        headers = {"Range": sys.argv[3]} if sys.argv[3] else {}
                        r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], method=sys.argv[2], headers=headers))
                        body = r.read().decode("latin-1")
                        sys.stdout.write(str(r.status) + (" " + body if body else ""))
                    except urllib.error.HTTPError as e:
                        sys.stdout.write(str(e.code))
                    """, base + path, flags.first ?? "GET", range,
                ])
        }
        #expect(try get("/nix-cache-info").output == "200 StoreDir: \(dir("store"))\nWantMassQuery: 1\nPriority: 30")
        let hashPart = URL(fileURLWithPath: app).lastPathComponent.prefix(32)
        let narinfo = try get("/\(hashPart).narinfo").output
        // Compressed as it is sent (zstd unless told otherwise): no file hash or size to give.
        #expect(
            narinfo.hasPrefix("200 StorePath: \(app)\nURL: nar/\(hashPart).nar.zst\nCompression: zstd\nNarHash:")
                && narinfo.contains("\nSig: serve-1:"), "\(narinfo)")
        // The uncompressed NAR gives byte ranges, as a resumed download asks for them.
        let nar = String(decoding: try devenv("store", "dump", app).stdout, as: UTF8.self)
        #expect(try get("/nar/\(hashPart).nar").output == "200 " + nar)
        #expect(try get("/nar/\(hashPart).nar", range: "bytes=8-20").output == "206 " + nar.dropFirst(8).prefix(13))
        #expect(try get("/nar/\(hashPart).nar", range: "bytes=100-").output == "206 " + nar.dropFirst(100))
        #expect(try get("/nar/\(hashPart).nar", range: "bytes=-5").output == "206 " + nar.suffix(5))
        #expect(try get("/nar/\(hashPart).nar", range: "bytes=99999-").output == "416")
        #expect(try get("/nar/\(hashPart).nar", range: "bytes=-0").output == "416")
        // What is not one range it understands is ignored, as HTTP allows: the whole NAR.
        for ignored in ["bytes=5-2", "bytes=abc", "bytes=0-0,5-6", "lines=1-2", "bytes=+1-+3"] {
            #expect(try get("/nar/\(hashPart).nar", range: ignored).output == "200 " + nar, "\(ignored)")
        }
        // An HTTP cache has no listing: verify checks the closures it is given.
        let verified = try devenv(
            "cache", "verify", base, app, "--trusted-public-key", try String(contentsOfFile: dir("pk"), encoding: .utf8)
        )
        #expect(verified.status == 0 && verified.stderr == "checked 1 paths: no problems\n", "\(verified.stderr)")
        // It is read-only: a push that would add a signature says so.
        #expect(
            try devenv("cache", "keygen", "other", "--secret", dir("other.sk"), "--public", dir("other.pk")).status == 0
        )
        let pushed = try devenv("cache", "push", "--to", base, "--key", dir("other.sk"), app)
        #expect(
            pushed.status == 1 && pushed.stderr.contains("HTTP 405 Method Not Allowed: the server takes no uploads"),
            "\(pushed.stderr)")
        let unlisted = try devenv("cache", "verify", base)
        #expect(unlisted.status == 1 && unlisted.stderr.contains("it has no listing"), "\(unlisted.stderr)")
        #expect(try get("/\(hashPart).narinfo", ["HEAD"]).output == "200")
        #expect(try get("/nar/../../etc/passwd").output == "404")
        #expect(try get("/00000000000000000000000000000000.narinfo").output == "404")
        // Requests as a socket sends them: a bare LF ends the headers too, what follows them is
        // ignored, and headers over 8 KiB are answered 431.
        func raw(_ request: String) throws -> String {
            try runCommand(
                "/usr/bin/python3",
                [
                    "-c",
                    """
                    import socket, sys
                    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
                    s.sendall(sys.argv[2].encode())
                    sys.stdout.write(s.recv(4096).decode("latin-1").split("\\r\\n")[0])
                    """, String(port), request,
                ]
            ).output
        }
        #expect(try raw("GET /nix-cache-info HTTP/1.0\n\n") == "HTTP/1.1 200 OK")
        #expect(try raw("GET /nix-cache-info HTTP/1.1\r\nContent-Length: 2\r\n\r\nab") == "HTTP/1.1 200 OK")
        #expect(
            try raw("GET /nix-cache-info HTTP/1.1\r\nX: \(String(repeating: "a", count: 20_000))\r\n\r\n")
                == "HTTP/1.1 431 Request Header Fields Too Large")
        // Nix substitutes from it, trusting the key.
        let publicKey = try String(contentsOfFile: dir("pk"), encoding: .utf8)
        let copied = try runCommand(
            "/usr/bin/nix",
            [
                "--extra-experimental-features", "nix-command", "copy", "--from", "\(base)?store=\(dir("store"))",
                "--to",
                "local?store=\(dir("store"))&state=\(dir("nix-state"))&log=\(dir("nix-log"))&real=\(dir("real"))",
                "--option", "trusted-public-keys", publicKey, app,
            ], environment: ["XDG_CACHE_HOME": dir("nix-cache"), "HOME": dir.path, "PATH": "/usr/bin:/bin"])
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(
            try runCommand(dir("real") + "/" + URL(fileURLWithPath: app).lastPathComponent + "/bin/app", []).output
                == "served")
    }
}
