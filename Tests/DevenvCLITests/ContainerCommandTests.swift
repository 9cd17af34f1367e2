import DevenvBasics
import Foundation
import Glibc
import TestSupport
import Testing

/// `devenv container`: images checked by tools that are not devenv's (skopeo, umoci, bwrap,
/// Docker's registry), built from a project whose packages are a static program and a data file.
@Suite struct ContainerCommandTests {
    /// A project with `greet` (a static C program printing its version, which also holds a file
    /// and an absolute link naming its own store path) and `motd` (a file made by a script).
    final class Fixture: @unchecked Sendable {
        let dir: TemporaryDirectory
        let devenv: DevenvCLI

        init(container: String = "") throws {
            dir = try TemporaryDirectory("container")
            try dir.sh(
                "mkdir -p pkgs proj/dist home && echo 'hello' > proj/dist/app.js && echo 'ü' > 'proj/dist/Főtanúsítvány.txt'"
            )
            devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
            try publish(version: "1.0")
            try """
            [motd]
            version = "1"
            description = "a message"
            homepage = "https://example.org"
            license = "MIT"
            origin = "made by the tests"
            script = 'mkdir -p "$out/share" "$out/etc/ssl/certs" && echo "welcome" > "$out/share/motd" && echo "CERTS" > "$out/etc/ssl/certs/ca-certificates.crt"'
            """.write(toFile: dir("pkgs/motd.toml"), atomically: true, encoding: .utf8)
            try """
            [inputs]
            pkgs = "path:../pkgs"
            [shell]
            packages = ["pkgs.greet", "pkgs.motd"]
            [containers.app]
            cmd = ["greet"]
            env = { GREETING_FILE = "${packages.greet}/share/self" }
            workdir = "/app"
            copy = [{ from = "dist", to = "/app" }]
            ports = [8080, "53/udp"]
            labels = { "org.opencontainers.image.title" = "demo" }
            user = "app"
            \(container)
            """.write(toFile: dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        }

        /// `greet` at `version`, from a local tarball.
        func publish(version: String) throws {
            try dir.sh(
                """
                rm -rf src && mkdir -p src/greet/bin
                printf '#include <stdio.h>\\nint main(void) { puts("greet \(version)"); return 0; }\\n' > greet.c
                gcc -static -O2 -o src/greet/bin/greet greet.c
                tar -C src -czf greet-\(version).tar.gz greet
                """)
            let hash = try dir.sh("sha256sum greet-\(version).tar.gz | cut -d' ' -f1")
            try """
            [greet]
            version = "\(version)"
            description = "greets"
            homepage = "https://example.org"
            license = "MIT"
            origin = "made by the tests"
            unpack = { strip = 1 }
            env = { GREET_HOME = "$out" }
            script = '''
            cp -r "$src"/. "$out"
            mkdir -p "$out/share"
            echo "$out" > "$out/share/self"
            ln -s "$out/share/self" "$out/share/self-link"
            cp "$out/bin/greet" "$out/share/greet-copy"
            '''
            sources.x86_64-linux = { url = "file://\(dir("greet-\(version).tar.gz"))", hash = "sha256:\(hash)" }
            sources.aarch64-linux = { url = "file://\(dir("greet-\(version).tar.gz"))", hash = "sha256:\(hash)" }
            """.write(toFile: dir("pkgs/greet.toml"), atomically: true, encoding: .utf8)
        }

        func run(_ arguments: String..., home: String? = nil) throws -> CommandResult {
            var environment = devenv.environment
            if let home { environment["DEVENV_HOME"] = home }
            return try runCommand(DevenvCLI.binary, arguments, environment: environment, currentDirectory: dir("proj"))
        }

        /// The image's manifest digest, from `build`'s last line.
        func build(_ arguments: String..., home: String? = nil) throws -> String {
            var environment = devenv.environment
            if let home { environment["DEVENV_HOME"] = home }
            let result = try runCommand(
                DevenvCLI.binary, ["container", "build"] + arguments, environment: environment,
                currentDirectory: dir("proj"))
            guard result.status == 0 else { throw CommandFailure(description: result.stderr) }
            return String(result.output.split(separator: " ").last ?? "")
        }

        func layers(_ layout: String) throws -> [(digest: String, paths: [String])] {
            let result = try run("container", "inspect", layout, "--json")
            let object = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
            return (object["layers"] as! [[String: Any]]).map { ($0["digest"] as! String, $0["paths"] as! [String]) }
        }
    }

    static let imageStore = "/devenv/store" + String(repeating: "_", count: 96 - 13)

    @Test func theImageRunsFromItsOwnStoreAndIsTheSameForEveryBuilder() throws {
        let fixture = try Fixture()
        let digest = try fixture.build()
        let layout = fixture.dir("proj/.devenv/containers/app")
        // Another user's store (another DEVENV_HOME, another store directory) gives the same image.
        #expect(try fixture.build("-o", fixture.dir("other"), home: fixture.dir("home2")) == digest)
        #expect(digest.hasPrefix("sha256:"))

        let inspected = try fixture.dir.sh("skopeo inspect --config oci:\(layout):latest")
        let config = try JSONSerialization.jsonObject(with: Data(inspected.utf8)) as! [String: Any]
        let settings = config["config"] as! [String: Any]
        #expect(settings["Cmd"] as? [String] == ["greet"])
        #expect(settings["WorkingDir"] as? String == "/app")
        #expect(settings["User"] as? String == "app")
        #expect((settings["ExposedPorts"] as? [String: Any]).map { Set($0.keys) } == ["8080/tcp", "53/udp"])
        #expect((settings["Labels"] as? [String: String]) == ["org.opencontainers.image.title": "demo"])
        let env = settings["Env"] as! [String]
        #expect(env.contains("PATH=/bin:/usr/bin"))
        let greetHome = try #require(env.first { $0.hasPrefix("GREET_HOME=") }?.dropFirst("GREET_HOME=".count))
        #expect(greetHome.hasPrefix(Self.imageStore + "/") && greetHome.hasSuffix("-greet-1.0"))
        #expect(env.contains("GREETING_FILE=\(greetHome)/share/self"))
        #expect(config["created"] as? String == "1970-01-01T00:00:01Z")
        // A package's CA bundle is where programs look for it.
        #expect(env.contains("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"))

        // One layer per store path (dist, greet, motd), then /bin and /etc.
        let layers = try fixture.layers(layout)
        #expect(layers.count == 4)
        #expect(layers.last?.paths == [])
        #expect(
            Set(layers.dropLast().flatMap(\.paths).map { String($0.split(separator: "-", maxSplits: 1)[1]) }) == [
                "dist", "greet-1.0", "motd-1",
            ])

        // Unpacked by umoci and run with only the image as `/`.
        try fixture.dir.sh("umoci unpack --rootless --image \(layout):latest bundle")
        let root = fixture.dir("bundle/rootfs")
        let greeted = try fixture.dir.sh("bwrap --bind \(root) / --proc /proc --dev /dev --chdir /app /bin/greet")
        #expect(greeted == "greet 1.0")
        // Contents and links name the image's store, not the builder's.
        #expect(try String(contentsOfFile: root + greetHome + "/share/self", encoding: .utf8) == greetHome + "\n")
        #expect(try fixture.dir.sh("readlink \(root)\(greetHome)/share/self-link") == greetHome + "/share/self")
        #expect(try fixture.dir.sh("grep -rl '\(fixture.devenv.storeDirectory)' \(root)/devenv | wc -l") == "0")
        // A file the layer has twice is there once, with two names.
        #expect(try fixture.dir.sh("stat -c %h \(root)\(greetHome)/share/greet-copy") == "2")
        let passwd = try String(contentsOfFile: root + "/etc/passwd", encoding: .utf8)
        #expect(passwd.contains("root:x:0:0:") && passwd.contains("app:x:1000:1000::/home/app:/bin/sh"))
        let app = try fixture.dir.sh("readlink \(root)/app")
        #expect(try String(contentsOfFile: root + app + "/app.js", encoding: .utf8) == "hello\n")
        #expect(try String(contentsOfFile: root + app + "/Főtanúsítvány.txt", encoding: .utf8) == "ü\n")
        #expect(try fixture.dir.sh("stat -c %a \(root)/tmp") == "1777")
        let certificates = try fixture.dir.sh("readlink \(root)/etc/ssl/certs/ca-certificates.crt")
        #expect(try String(contentsOfFile: root + certificates, encoding: .utf8) == "CERTS\n")
        // skopeo turns the layout into a docker archive it reads back.
        try fixture.dir.sh("skopeo copy oci:\(layout):latest docker-archive:converted.tar:app:latest >/dev/null")
        #expect(try fixture.dir.sh("skopeo inspect docker-archive:converted.tar --format '{{len .Layers}}'") == "4")
    }

    @Test func zstdLayersAreReadByOtherTools() throws {
        let fixture = try Fixture()
        _ = try fixture.build("--compression", "zstd")
        let layout = fixture.dir("proj/.devenv/containers/app")
        let manifest = try fixture.dir.sh("skopeo inspect --raw oci:\(layout):latest")
        #expect(manifest.contains("application/vnd.oci.image.layer.v1.tar+zstd"))
        // skopeo decompresses every layer to recompress it: they are zstd streams of the tars.
        try fixture.dir.sh(
            "skopeo copy --dest-compress-format gzip --dest-compress oci:\(layout):latest oci:gz:x >/dev/null")
        try fixture.dir.sh("umoci unpack --rootless --image gz:x bundle")
        #expect(try fixture.dir.sh("bwrap --bind bundle/rootfs / --proc /proc --dev /dev /bin/greet") == "greet 1.0")
        let archive = try fixture.run("container", "build", "--compression", "zstd", "--stdout")
        #expect(archive.status != 0 && archive.stderr.contains("docker archives hold gzip layers"))
    }

    @Test func aChangedPackageChangesOnlyItsLayer() throws {
        let fixture = try Fixture()
        _ = try fixture.build("-o", fixture.dir("one"))
        try fixture.publish(version: "1.1")
        try #require(try fixture.run("update").status == 0)
        let rebuilt = try fixture.run("container", "build", "-o", fixture.dir("two"))
        // Only greet's layer is written again.
        #expect(rebuilt.stderr.contains("app:latest: 4 layers, 1 of the 3 store layers written"), "\(rebuilt.stderr)")
        let (before, after) = (try fixture.layers(fixture.dir("one")), try fixture.layers(fixture.dir("two")))
        #expect(before.count == after.count)
        let changed = zip(before, after).filter { $0.0.digest != $0.1.digest }.map { $0.1.paths }
        // greet's layer, and the last one, whose /bin links name greet's new path.
        #expect(changed.count == 2)
        #expect(changed.first?.first?.hasSuffix("-greet-1.1") == true)
        #expect(changed.last == [])
    }

    @Test func closuresLargerThanMaxLayersMergeIntoTheLastStoreLayer() throws {
        let fixture = try Fixture(container: "max-layers = 3")
        _ = try fixture.build()
        let layers = try fixture.layers(fixture.dir("proj/.devenv/containers/app"))
        #expect(layers.map(\.paths.count) == [1, 2, 0])
        // umoci applies the merged layer: both paths are there.
        try fixture.dir.sh("umoci unpack --rootless --image proj/.devenv/containers/app:latest bundle")
        for path in layers[1].paths {
            #expect(FileManager.default.fileExists(atPath: fixture.dir("bundle/rootfs") + path))
        }
    }

    @Test func aContainerLocksPackagesOfItsOwn() throws {
        let fixture = try Fixture(container: "packages = [\"pkgs.motd\"]")
        try
            "[inputs]\npkgs = \"path:../pkgs\"\n[shell]\npackages = [\"pkgs.greet\"]\n[containers.app]\npackages = [\"pkgs.motd\"]\n"
            .write(toFile: fixture.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        _ = try fixture.build()
        #expect(try fixture.dir.sh("grep -c '\"container:app\"' proj/devenv.lock") == "1")
        let layers = try fixture.layers(fixture.dir("proj/.devenv/containers/app"))
        #expect(layers.count == 2)
        #expect(layers.first?.paths.first?.hasSuffix("-motd-1") == true)
        // The lock is current: --locked builds the same image.
        #expect(try fixture.run("container", "build", "--locked").status == 0)
    }

    /// The mission's expression: `dockerTools.buildLayeredImage` in a flake builds an image.
    @Test func aFlakesLayeredImageIsBuilt() throws {
        let fixture = try Fixture()
        try FileManager.default.removeItem(atPath: fixture.dir("proj/devenv.toml"))
        try """
        {
          inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
          outputs = { self, nixpkgs }:
            let pkgs = nixpkgs.legacyPackages.x86_64-linux;
            in {
              packages.x86_64-linux.image = pkgs.dockerTools.buildLayeredImage {
                name = "my-app";
                tag = "v1";
                contents = with pkgs; [ motd ];
                config.Cmd = [ "${pkgs.greet}/bin/greet" "--loud" ];
                config.ExposedPorts = { "8080/tcp" = { }; };
              };
            };
        }
        """.write(toFile: fixture.dir("proj/flake.nix"), atomically: true, encoding: .utf8)
        var environment = fixture.devenv.environment
        environment["DEVENV_NIXPKGS"] = "path:../pkgs"
        let built = try runCommand(
            DevenvCLI.binary, ["container", "build", "image"], environment: environment,
            currentDirectory: fixture.dir("proj"))
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.output.hasPrefix("my-app:v1 sha256:"))
        // A flake with only an image is a project; its layout goes by the attribute's name.
        let layout = fixture.dir("proj/.devenv/containers/image")
        let config = try fixture.dir.sh("skopeo inspect --config oci:\(layout):v1")
        let settings =
            (try JSONSerialization.jsonObject(with: Data(config.utf8)) as! [String: Any])["config"] as! [String: Any]
        let cmd = try #require(settings["Cmd"] as? [String])
        // greet, which only the config names, is in the image as Nix's closure would have it.
        #expect(cmd.count == 2 && cmd[0].hasPrefix(Self.imageStore + "/") && cmd[0].hasSuffix("-greet-1.0/bin/greet"))
        try fixture.dir.sh("umoci unpack --rootless --image \(layout):v1 bundle")
        #expect(try fixture.dir.sh("bwrap --bind bundle/rootfs / --proc /proc --dev /dev \(cmd[0])") == "greet 1.0")
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: fixture.dir("bundle/rootfs/bin/greet")) == cmd[0])
        let inspected = try runCommand(
            DevenvCLI.binary, ["container", "inspect", "image"], environment: environment,
            currentDirectory: fixture.dir("proj"))
        #expect(inspected.output.hasPrefix("my-app:v1 sha256:"), "\(inspected.stderr)")

        // What devenv cannot do is an error at its place, not an image without it.
        let flake = try String(contentsOfFile: fixture.dir("proj/flake.nix"), encoding: .utf8)
        try flake.replacingOccurrences(of: "tag = \"v1\";", with: "tag = \"v1\"; fromImage = null;")
            .write(toFile: fixture.dir("proj/flake.nix"), atomically: true, encoding: .utf8)
        let refused = try runCommand(
            DevenvCLI.binary, ["container", "build", "image"], environment: environment,
            currentDirectory: fixture.dir("proj"))
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("flake.nix:8:"), "\(refused.stderr)")
        #expect(refused.stderr.contains("'fromImage' is not supported"))
    }

    @Test func dockerArchivesLoadAndStreamTheSameBytes() throws {
        let fixture = try Fixture()
        let digest = try fixture.build("--docker-archive", fixture.dir("app.tar"))
        let streamed = try fixture.run("container", "build", "--stdout")
        #expect(streamed.status == 0)
        #expect(streamed.stdout == (try Data(contentsOf: URL(fileURLWithPath: fixture.dir("app.tar")))))
        try fixture.dir.sh("skopeo copy docker-archive:app.tar oci:copied:x >/dev/null")
        #expect(try fixture.dir.sh("skopeo inspect --raw oci:copied:x | sha256sum | cut -d' ' -f1").count == 64)
        let manifest = try fixture.dir.sh("tar -xOf app.tar manifest.json")
        #expect(manifest.contains("\"RepoTags\":[\"app:latest\"]"))
        #expect(digest.hasPrefix("sha256:"))
        // An archive is no layout: inspect says what to build.
        let inspected = try fixture.run("container", "inspect")
        #expect(inspected.status == 1)
        #expect(inspected.stderr.contains("has no image; run `devenv container build app`"), "\(inspected.stderr)")
    }

    @Test func pushesToARegistryOnceAndWithCredentials() throws {
        let fixture = try Fixture()
        let open = try Registry(fixture.dir, name: "open")
        defer { open.stop() }
        let pushed = try fixture.run("container", "push", "app", "\(open.host)/demo/app:v1", "--insecure")
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.stderr.contains("sent 5 of 5 blobs"))
        let digest = String(pushed.output.split(separator: " ").last ?? "")
        let again = try fixture.run("container", "push", "app", "\(open.host)/demo/app:v1", "--insecure")
        #expect(again.stderr.contains("sent 0 of 5 blobs"))
        // Pulled back by skopeo: the same manifest, digest for digest.
        try fixture.dir.sh(
            "skopeo copy --src-tls-verify=false docker://\(open.host)/demo/app:v1 oci:pulled:v1 >/dev/null")
        #expect(
            try fixture.dir.sh("skopeo inspect --raw oci:pulled:v1 | sha256sum | cut -d' ' -f1")
                == String(digest.dropFirst(7)))
        #expect(
            try fixture.dir.sh(
                "skopeo inspect --tls-verify=false docker://\(open.host)/demo/app:v1 --format '{{.Digest}}'") == digest)

        let guarded = try Registry(fixture.dir, name: "guarded", user: ("alice", "s3cret"))
        defer { guarded.stop() }
        let refused = try fixture.run("container", "push", "app", "\(guarded.host)/demo/app", "--insecure")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("HTTP 401"))
        var environment = fixture.devenv.environment
        environment["DEVENV_REGISTRY_PASSWORD"] = "s3cret"
        let allowed = try runCommand(
            DevenvCLI.binary,
            ["container", "push", "app", "\(guarded.host)/demo/app", "--insecure", "--username", "alice"],
            environment: environment, currentDirectory: fixture.dir("proj"))
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.output.hasPrefix("\(guarded.host)/demo/app:latest sha256:"))
    }

    /// A registry that wants bearer tokens from a token service (Docker's token authentication:
    /// JWTs signed with a key whose certificate the registry trusts), which itself asks for basic
    /// credentials, as Docker Hub and GitHub's registry do.
    @Test func pushesWithABearerTokenFromTheRegistrysRealm() throws {
        let fixture = try Fixture()
        let tokens = try TokenService(fixture.dir, user: ("alice", "s3cret"))
        defer { tokens.stop() }
        let registry = try Registry(fixture.dir, name: "tokens", tokens: tokens)
        defer { registry.stop() }
        var environment = fixture.devenv.environment
        environment["DEVENV_REGISTRY_PASSWORD"] = "s3cret"
        let push = { (arguments: [String], environment: [String: String]) in
            try runCommand(
                DevenvCLI.binary,
                ["container", "push", "app", "\(registry.host)/demo/app:v2", "--insecure"] + arguments,
                environment: environment, currentDirectory: fixture.dir("proj"))
        }
        let pushed = try push(["--username", "alice"], environment)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.stderr.contains("sent 5 of 5 blobs"))
        environment["DEVENV_REGISTRY_PASSWORD"] = "wrong"
        let refused = try push(["--username", "alice"], environment)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("HTTP 401"), "\(refused.stderr)")
        // A token given as it is (DEVENV_REGISTRY_TOKEN) needs no credentials.
        var given = fixture.devenv.environment
        given["DEVENV_REGISTRY_TOKEN"] = try tokens.token(for: "repository:demo/app:pull,push")
        let again = try push([], given)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("sent 0 of 5 blobs"))
    }

    /// A hostile registry: its upload location is another host, which must get no credentials,
    /// or a file, which must not be written; and its token realm a file, which must not be read.
    @Test func aRegistryCannotLeadCredentialsElsewhere() throws {
        let fixture = try Fixture()
        func push(to mode: String) throws -> CommandResult {
            let (first, registryPort) = try #require(Loopback.bind(port: 0))
            let (second, thiefPort) = try #require(Loopback.bind(port: 0))
            close(first)
            close(second)
            let server = try ChildProcess(
                "/usr/bin/python3",
                [
                    "-c",
                    #"""
                    import sys, threading
                    from http.server import BaseHTTPRequestHandler, HTTPServer
                    registry, thief, log, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
                    class Registry(BaseHTTPRequestHandler):
                        def log_message(self, *args): pass
                        def answer(self, status, headers={}):
                            self.send_response(status)
                            for name, value in headers.items(): self.send_header(name, value)
                            self.send_header("Content-Length", "0"); self.end_headers()
                        def do_HEAD(self):
                            if mode == "file":
                                self.answer(401, {"WWW-Authenticate": 'Bearer realm="file:///etc/hostname",service="x"'})
                            elif "Authorization" not in self.headers:
                                self.answer(401, {"WWW-Authenticate": 'Basic realm="x"'})
                            else:
                                self.answer(404)
                        def do_POST(self):
                            where = f"file://{log}.written" if mode == "file-upload" else f"http://127.0.0.1:{thief}/steal"
                            self.answer(202, {"Location": where})
                    class Thief(BaseHTTPRequestHandler):
                        def log_message(self, *args): pass
                        def do_PUT(self):
                            with open(log, "a") as f: f.write(f"PUT {self.headers.get('Authorization')}\n")
                            self.send_response(500); self.send_header("Content-Length", "0"); self.end_headers()
                    threading.Thread(target=HTTPServer(("127.0.0.1", thief), Thief).serve_forever, daemon=True).start()
                    HTTPServer(("127.0.0.1", registry), Registry).serve_forever()
                    """#, String(registryPort), String(thiefPort), fixture.dir("thief.log"), mode,
                ])
            defer { server.kill() }
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, !Loopback.accepts(port: registryPort) || !Loopback.accepts(port: thiefPort) {
                usleep(20_000)
            }
            var environment = fixture.devenv.environment
            environment["DEVENV_REGISTRY_PASSWORD"] = "s3cret"
            return try runCommand(
                DevenvCLI.binary,
                [
                    "container", "push", "app", "127.0.0.1:\(registryPort)/demo/app", "--insecure", "--username",
                    "alice",
                ],
                environment: environment, currentDirectory: fixture.dir("proj"))
        }
        let pushed = try push(to: "basic")
        #expect(pushed.status != 0)
        let stolen = try String(contentsOfFile: fixture.dir("thief.log"), encoding: .utf8)
        #expect(stolen.hasPrefix("PUT None"), "\(stolen)")
        #expect(!stolen.contains("Basic"))
        let realm = try push(to: "file")
        #expect(realm.status != 0)
        #expect(realm.stderr.contains("is not an https:// URL; devenv sends it no credentials"), "\(realm.stderr)")
        // An upload location that is a file: libcurl would write the layer over it.
        let upload = try push(to: "file-upload")
        #expect(upload.status != 0)
        #expect(upload.stderr.contains("for an upload, which is not an https:// URL"), "\(upload.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.dir("thief.log.written")))
    }

    @Test func whatAnImageMayNotTakeIsRefused() throws {
        let fixture = try Fixture()
        // A link in the project must not bring its target (say ~/.ssh) into an image.
        try fixture.dir.sh("mkdir secret && echo key > secret/id && rm -r proj/dist && ln -s ../secret proj/dist")
        let linked = try fixture.run("container", "build")
        #expect(linked.status != 0)
        #expect(linked.stderr.contains("is a link"))

        // A link planted in an output directory under a blob's name is replaced, not trusted.
        try fixture.dir.sh("rm proj/dist && mkdir proj/dist")
        let digest = try fixture.build("-o", fixture.dir("planted"))
        let config = try fixture.dir.sh(
            "skopeo inspect --raw oci:planted:latest | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"config\"][\"digest\"][7:])'"
        )
        try fixture.dir.sh(
            "rm planted/blobs/sha256/\(config) && ln -s ../../../secret/id planted/blobs/sha256/\(config)")
        #expect(try fixture.build("-o", fixture.dir("planted")) == digest)
        #expect(try fixture.dir.sh("test -L planted/blobs/sha256/\(config) && echo link || echo file") == "file")

        let other = try Fixture(container: "packages = [\"pkgs.greet\", \"pkgs.nope\"]")
        let unknown = try other.run("container", "build")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("devenv.toml:"), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("nope"))

        let bad = try Fixture(container: "tag = \".bad\"")
        let refused = try bad.run("container", "build")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("devenv.toml:"))
        #expect(refused.stderr.contains("is not a tag"))
    }
}

/// Docker's registry (Debian's `docker-registry`) on a free loopback port, with basic
/// authentication from an htpasswd file when `user` is given.
final class Registry: @unchecked Sendable {
    let host: String
    private let process: ChildProcess

    init(_ dir: TemporaryDirectory, name: String, user: (String, String)? = nil, tokens: TokenService? = nil) throws {
        let (socket, port) = try #require(Loopback.bind(port: 0))
        close(socket)
        host = "127.0.0.1:\(port)"
        var config = """
            version: 0.1
            storage:
              filesystem:
                rootdirectory: \(dir("registry-\(name)"))
            http:
              addr: \(host)
            """
        if let (login, password) = user {
            try dir.sh(
                "python3 -c 'import crypt; print(\"\(login):\" + crypt.crypt(\"\(password)\", crypt.mksalt(crypt.METHOD_BLOWFISH)))' > htpasswd-\(name) 2>/dev/null"
            )
            config += "\nauth:\n  htpasswd:\n    realm: test\n    path: \(dir("htpasswd-\(name)"))"
        }
        if let tokens {
            config += """

                auth:
                  token:
                    realm: \(tokens.realm)
                    service: \(TokenService.service)
                    issuer: \(TokenService.issuer)
                    rootcertbundle: \(tokens.certificate)
                """
        }
        try config.write(toFile: dir("registry-\(name).yml"), atomically: true, encoding: .utf8)
        let log = open(dir("registry-\(name).log"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(log) }
        process = try ChildProcess(
            "/usr/bin/docker-registry", ["serve", dir("registry-\(name).yml")],
            streams: Subprocess.Streams(output: log, error: log))
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !Loopback.accepts(port: port) { usleep(20_000) }
    }

    func stop() { process.kill() }
}

/// A token service for Docker's token authentication: it answers `GET /token?service=…&scope=…`
/// given the right basic credentials with a JWT (RS256, the certificate in `x5c`) granting the
/// scope, signed by `openssl` with a key made for the test.
final class TokenService: @unchecked Sendable {
    static let service = "devenv-test"
    static let issuer = "devenv-test-issuer"
    let realm: String
    let certificate: String
    private let process: ChildProcess
    private let dir: TemporaryDirectory

    static let server = #"""
        import base64, json, subprocess, sys, time
        from http.server import BaseHTTPRequestHandler, HTTPServer
        from urllib.parse import parse_qs, urlparse
        port, key, cert, user, password, service, issuer = sys.argv[1:8]
        der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], capture_output=True, check=True).stdout
        b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()
        def token(scope):
            access = []
            if scope:
                kind, name, actions = scope.split(":")
                access = [{"type": kind, "name": name, "actions": actions.split(",")}]
            now = int(time.time())
            header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
            claims = {"iss": issuer, "sub": user, "aud": service, "exp": now + 600, "nbf": now - 10, "iat": now,
                      "jti": str(now), "access": access}
            signing = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
            signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(),
                                       capture_output=True, check=True).stdout
            return signing + "." + b64(signature)
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                query = parse_qs(urlparse(self.path).query)
                expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
                if self.headers.get("Authorization") != expected or query.get("service") != [service]:
                    self.send_response(401); self.end_headers(); return
                body = json.dumps({"token": token(query.get("scope", [""])[0])}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        HTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
        """#

    init(_ dir: TemporaryDirectory, user: (String, String)) throws {
        self.dir = dir
        try dir.sh(
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 1 -subj /CN=devenv-test 2>/dev/null"
        )
        certificate = dir("token.crt")
        let (socket, port) = try #require(Loopback.bind(port: 0))
        close(socket)
        realm = "http://127.0.0.1:\(port)/token"
        process = try ChildProcess(
            "/usr/bin/python3",
            [
                "-c", TokenService.server, String(port), dir("token.key"), certificate, user.0, user.1,
                TokenService.service,
                TokenService.issuer,
            ])
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !Loopback.accepts(port: port) { usleep(20_000) }
        self.user = user
    }

    private let user: (String, String)

    /// A token for `scope`, as a client that logged in beforehand would hold.
    func token(for scope: String) throws -> String {
        let login = Data("\(user.0):\(user.1)".utf8).base64EncodedString()
        let answer = try dir.sh(
            """
            python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(urllib.request.Request(sys.argv[1], \\
            headers={"Authorization": "Basic " + sys.argv[2]})).read().decode())' \\
            '\(realm)?service=\(TokenService.service)&scope=\(scope)' '\(login)'
            """)
        let object = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as! [String: Any]
        return object["token"] as! String
    }

    func stop() { process.kill() }
}
