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
}
