import Foundation
import TestSupport
import Testing

/// A flake's own inputs (path:, git+file:, archives, flakes with inputs of their own, follows):
/// fetched into the store, locked in flake.lock exactly as Nix 2.8's `nix flake lock` writes it,
/// kept while flake.nix asks for the same, moved by `devenv update`.
struct FlakeInputTests {
    /// Inputs in the shapes of `../shared/docs/nix-formats.md` §6.6, under `deps/`.
    static func makeInputs(in fixture: ProjectFixture) throws -> String {
        let deps = fixture.dir("deps")
        try fixture.dir.sh(
            """
            export GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com
            export GIT_AUTHOR_DATE='2022-05-01T12:00:00Z' GIT_COMMITTER_DATE='2022-05-01T12:00:00Z'
            mkdir -p deps && cd deps
            mkdir dep-path && printf '{\\n  outputs = { self }: { value = "from dep-path"; };\\n}\\n' > dep-path/flake.nix
            touch -h -d '2022-05-03 00:00:00Z' dep-path/flake.nix dep-path
            mkdir dep-git && cd dep-git && git init -q -b main . && printf '{\\n  outputs = { self }: { value = "from dep-git"; };\\n}\\n' > flake.nix
            git add . && git commit -q -m init && cd ..
            mkdir dep-raw && cd dep-raw && git init -q -b main . && printf 'raw\\n' > raw.txt && git add . && git commit -q -m raw && cd ..
            mkdir dep-git2 && cd dep-git2 && git init -q -b main .
            cat > flake.nix <<'EOF'
            {
              inputs.dp.url = "path:\(deps)/dep-path";
              inputs.raw = { url = "git+file://\(deps)/dep-git"; flake = false; };
              outputs = { self, dp, raw }: { value = "dg2 sees ${dp.value}"; };
            }
            EOF
            git add . && git commit -q -m two && cd ..
            mkdir -p tb/pkg && printf 'tar content\\n' > tb/pkg/t.txt
            tar --sort=name --mtime='2022-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner -czf dep.tar.gz -C tb pkg
            """)
        return deps
    }

    static func flake(_ deps: String, extra: String = "") -> String {
        """
        {
          inputs = {
            dp.url = "path:\(deps)/dep-path";
            dg.url = "git+file://\(deps)/dep-git";
            dg2.url = "git+file://\(deps)/dep-git2?ref=main";
            dg2.inputs.dp.follows = "dp";
            raw = { url = "git+file://\(deps)/dep-raw"; flake = false; };
            tb = { url = "file://\(deps)/dep.tar.gz"; flake = false; };\(extra)
          };
          outputs = { self, dp, dg, dg2, raw, tb, ... }:
            let pkgs = import <nixpkgs> { }; in {
              devShells.${builtins.currentSystem}.default = pkgs.mkShell {
                packages = [ pkgs.hello_2 ];
                VALUES = builtins.concatStringsSep "|" [
                  dp.value dg.value dg2.value (builtins.readFile "${raw}/raw.txt") (builtins.readFile "${tb}/t.txt")
                  dg.shortRev (toString dg.revCount) dg.lastModifiedDate
                ];
              };
            };
        }

        """
    }

    /// `nix flake lock` of `flake` (Nix 2.8, a private store; it fetches but evaluates no outputs).
    static func nixLock(_ flake: String, in fixture: ProjectFixture) throws -> String {
        let oracle = fixture.dir("oracle")
        try fixture.dir.sh("rm -rf oracle && mkdir -p oracle nix-state")
        try flake.write(toFile: oracle + "/flake.nix", atomically: true, encoding: .utf8)
        let state = fixture.dir("nix-state")
        try fixture.dir.sh(
            """
            cd oracle && HOME=\(state) XDG_CACHE_HOME=\(state)/cache nix --extra-experimental-features 'nix-command flakes' \
              --store 'local?store=\(fixture.dir("nix-store"))&state=\(state)/db&log=\(state)/log' flake lock 2>/dev/null
            """)
        return try String(contentsOfFile: oracle + "/flake.lock", encoding: .utf8)
    }

    @Test func inputsAreLockedAsNixLocksThemAndKeptUntilUpdated() throws {
        let fixture = try NixProjectTests.fixture("flake.nix", "")
        let deps = try FlakeInputTests.makeInputs(in: fixture)
        let flake = FlakeInputTests.flake(deps)
        try flake.write(toFile: fixture.dir("proj/flake.nix"), atomically: true, encoding: .utf8)
        let locked = try fixture.run("lock", environment: NixProjectTests.nixpkgs)
        #expect(locked.status == 0, "\(locked.stderr)")
        #expect(locked.output.hasPrefix("created flake.lock\ncreated devenv.lock\n"))
        #expect(locked.output.contains("  + input dg2/raw (git+file://\(deps)/dep-git)"))
        let lockText = try String(contentsOfFile: fixture.dir("proj/flake.lock"), encoding: .utf8)
        // Byte for byte what Nix writes: node keys (root's raw is raw_2), follows, revCount, lastModified.
        #expect(lockText == (try FlakeInputTests.nixLock(flake, in: fixture)))
        #expect(lockText.contains("\"raw\": \"raw_2\"") && lockText.contains("\"dp\": [\n          \"dp\"\n"))

        let rev = try fixture.dir.sh("git -C deps/dep-git rev-parse --short=7 HEAD")
        let expected = "from dep-path|from dep-git|dg2 sees from dep-path|raw\n|tar content\n|\(rev)|1|20220501120000"
        let entered = try fixture.run(
            "develop", "--locked", "-c", "sh", "-c", "printf %s \"$VALUES\"", environment: NixProjectTests.nixpkgs)
        #expect(entered.status == 0, "\(entered.stderr)")
        #expect(entered.output == expected)
        #expect(try fixture.run("check", environment: NixProjectTests.nixpkgs).status == 0)

        // A new commit is not taken until `devenv update` names the input.
        try fixture.dir.sh(
            "cd deps/dep-git && echo more > more.txt && git add . && GIT_COMMITTER_DATE='2022-06-01T00:00:00Z' git -c user.name=T -c user.email=t@e commit -q -m more"
        )
        let newRev = try fixture.dir.sh("git -C deps/dep-git rev-parse --short=7 HEAD")
        #expect(
            try fixture.run("lock", environment: NixProjectTests.nixpkgs).output.hasPrefix("flake.lock is up to date"))
        #expect(
            try fixture.run("develop", "-c", "sh", "-c", "printf %s \"$VALUES\"", environment: NixProjectTests.nixpkgs)
                .output == expected)
        let updated = try fixture.run("update", "dg", environment: NixProjectTests.nixpkgs)
        #expect(updated.status == 0, "\(updated.stderr)")
        #expect(updated.output == "input dg: \(rev) → \(newRev)")
        let after = try fixture.run(
            "develop", "-c", "sh", "-c", "printf %s \"$VALUES\"", environment: NixProjectTests.nixpkgs)
        #expect(after.output.hasSuffix("|\(newRev)|2|20220601000000"), "\(after.stderr)")
        #expect(
            try fixture.run("update", "nope", environment: NixProjectTests.nixpkgs).stderr.contains("no input 'nope'"))

        // A path input changed since it was locked: entering keeps the pinned copy, check says so.
        try "{ outputs = { self }: { value = \"changed\"; }; }\n".write(
            toFile: deps + "/dep-path/flake.nix", atomically: true, encoding: .utf8)
        #expect(
            try fixture.run("develop", "-c", "sh", "-c", "printf %s \"$VALUES\"", environment: NixProjectTests.nixpkgs)
                .output.hasPrefix("from dep-path|"))
        let check = try fixture.run("check", environment: NixProjectTests.nixpkgs)
        #expect(check.status == 1)
        #expect(check.stderr.contains("flake input dp: NAR hash sha256-"), "\(check.stderr)")
        #expect(check.stderr.contains("differs from flake.lock's sha256-"))
    }

    /// Git pins by rev, by ref and rev, and by ref (after the commit was fetched by that ref), and
    /// an override of an input flake's non-flake input: as Nix 2.8 locks them.
    @Test func gitPinsAndOverridesAreLockedAsNixLocksThem() throws {
        let fixture = try NixProjectTests.fixture("flake.nix", "")
        let deps = try FlakeInputTests.makeInputs(in: fixture)
        let rev = try fixture.dir.sh("git -C deps/dep-raw rev-parse HEAD")
        func flake(_ inputs: String) -> String {
            """
            {
              inputs = {
            \(inputs)
              };
              outputs = { self, ... }: {
                devShells.${builtins.currentSystem}.default = (import <nixpkgs> { }).mkShell { };
              };
            }

            """
        }
        let byRef = "    c = { url = \"git+file://\(deps)/dep-raw?ref=main\"; flake = false; };"
        try flake(byRef).write(toFile: fixture.dir("proj/flake.nix"), atomically: true, encoding: .utf8)
        #expect(try fixture.run("lock", environment: NixProjectTests.nixpkgs).status == 0)
        let full = flake(
            """
                a = { url = "git+file://\(deps)/dep-raw?rev=\(rev)"; flake = false; };
                b = { url = "git+file://\(deps)/dep-raw?ref=main&rev=\(rev)"; flake = false; };
            \(byRef)
                dg2.url = "git+file://\(deps)/dep-git2";
                dg2.inputs.raw.url = "git+file://\(deps)/dep-raw";
            """)
        try full.write(toFile: fixture.dir("proj/flake.nix"), atomically: true, encoding: .utf8)
        let locked = try fixture.run("lock", environment: NixProjectTests.nixpkgs)
        #expect(locked.status == 0, "\(locked.stderr)")
        let lockText = try String(contentsOfFile: fixture.dir("proj/flake.lock"), encoding: .utf8)
        let nix = try FlakeInputTests.nixLock(full, in: fixture)
        #expect(lockText == nix, "devenv:\n\(lockText)\nNix:\n\(nix)")
    }

    /// A new input: --locked and check refuse the stale flake.lock, develop brings it up to date.
    @Test func aNewInputNeedsTheLockBroughtUpToDate() throws {
        let fixture = try NixProjectTests.fixture("flake.nix", "")
        let deps = try FlakeInputTests.makeInputs(in: fixture)
        try FlakeInputTests.flake(deps).write(toFile: fixture.dir("proj/flake.nix"), atomically: true, encoding: .utf8)
        #expect(try fixture.run("lock", environment: NixProjectTests.nixpkgs).status == 0)
        let extra = "\n      more = { url = \"path:\(deps)/tb\"; flake = false; };"
        try FlakeInputTests.flake(deps, extra: extra).write(
            toFile: fixture.dir("proj/flake.nix"), atomically: true, encoding: .utf8)
        let refused = try fixture.run("develop", "--locked", "-c", "true", environment: NixProjectTests.nixpkgs)
        #expect(refused.status == 1)
        #expect(refused.stderr == "Error: flake.lock is out of date with flake.nix; run `devenv lock`\n")
        let check = try fixture.run("check", environment: NixProjectTests.nixpkgs)
        #expect(check.status == 1 && check.stderr.contains("flake.lock is out of date with flake.nix"))
        let entered = try fixture.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs)
        #expect(entered.status == 0 && entered.stderr.contains("updated flake.lock"), "\(entered.stderr)")
        let lockText = try String(contentsOfFile: fixture.dir("proj/flake.lock"), encoding: .utf8)
        #expect(lockText.contains("\"more\": \"more\""))
        #expect(try fixture.run("develop", "--locked", "-c", "true", environment: NixProjectTests.nixpkgs).status == 0)
    }

    /// An allow covers flake.lock: another pin (a pull that moved an input) blocks the hook again.
    @Test func anAllowCoversFlakeLock() throws {
        let fixture = try NixProjectTests.fixture("flake.nix", "")
        let deps = try FlakeInputTests.makeInputs(in: fixture)
        try FlakeInputTests.flake(deps).write(toFile: fixture.dir("proj/flake.nix"), atomically: true, encoding: .utf8)
        #expect(try fixture.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs).status == 0)
        #expect(try fixture.run("allow", environment: NixProjectTests.nixpkgs).status == 0)
        let allowed = try fixture.run("export", "bash", environment: NixProjectTests.nixpkgs)
        #expect(allowed.output.contains("__devenv_begin"), "\(allowed)")
        let lock = fixture.dir("proj/flake.lock")
        let text = try String(contentsOfFile: lock, encoding: .utf8)
        try text.replacingOccurrences(of: "\"revCount\": 1", with: "\"revCount\": 2").write(
            toFile: lock, atomically: true, encoding: .utf8)
        let blocked = try fixture.run("export", "bash", environment: NixProjectTests.nixpkgs)
        #expect(
            blocked.stderr.contains("devenv: flake.lock in \(fixture.dir("proj")) changed since it was allowed"),
            "\(blocked)")
    }

    /// The hook's background realization locks a new input, as it brings devenv.lock up to date.
    @Test func theHookLocksANewInput() throws {
        let fixture = try NixProjectTests.fixture("flake.nix", "")
        let deps = try FlakeInputTests.makeInputs(in: fixture)
        let root = fixture.dir("proj")
        try FlakeInputTests.flake(deps).write(toFile: root + "/flake.nix", atomically: true, encoding: .utf8)
        #expect(try fixture.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs).status == 0)
        let extra = "\n      more = { url = \"path:\(deps)/tb\"; flake = false; };"
        try FlakeInputTests.flake(deps, extra: extra).write(
            toFile: root + "/flake.nix", atomically: true, encoding: .utf8)
        #expect(try fixture.run("allow", environment: NixProjectTests.nixpkgs).status == 0)
        let status = try fixture.run("status", environment: NixProjectTests.nixpkgs)
        #expect(status.output.contains("up to date:  no (run `devenv lock`)"), "\(status.output)")
        let pending = try fixture.run("export", "bash", environment: NixProjectTests.nixpkgs)
        #expect(pending.output.contains("__devenv_pending"), "\(pending)")
        // The realization export started in the background writes flake.lock, then the environment.
        var loaded = pending
        for _ in 0..<300 where !loaded.output.contains("__devenv_begin") {
            usleep(100_000)
            loaded = try fixture.run("export", "bash", environment: NixProjectTests.nixpkgs)
        }
        #expect(loaded.output.contains("__devenv_begin"), "\(loaded)")
        #expect(try String(contentsOfFile: root + "/flake.lock", encoding: .utf8).contains("\"more\": \"more\""))
    }

    /// In a shell whose hook loaded the flake project, `devenv update` in the project moves an
    /// input; flake.lock changed, so the next prompt loads the environment it gives.
    @Test func theBashHookReloadsWhenFlakeLockChanges() throws {
        let fixture = try NixProjectTests.fixture("flake.nix", "")
        let deps = try FlakeInputTests.makeInputs(in: fixture)
        let root = fixture.dir("proj")
        try FlakeInputTests.flake(deps).write(toFile: root + "/flake.nix", atomically: true, encoding: .utf8)
        let shell = try NixProjectTests.hookedBash(fixture)
        let environment = NixProjectTests.nixpkgs.merging(["TERM": "xterm"]) { $1 }
        let before = try fixture.dir.sh("git -C deps/dep-git rev-parse --short=7 HEAD")
        #expect(try shell.query("${VALUES:0:13}|${VALUES: -24:7}", after: "cd \(root)") == "from dep-path|\(before)")
        try fixture.dir.sh(
            "cd deps/dep-git && echo more > more.txt && git add . && git -c user.name=T -c user.email=t@e commit -q -m more"
        )
        let after = try fixture.dir.sh("git -C deps/dep-git rev-parse --short=7 HEAD")
        // Run outside the hooked shell: as a pull of the repository would change flake.lock.
        #expect(try fixture.run("update", "dg", environment: environment).status == 0)
        #expect(try fixture.run("allow", environment: environment).status == 0)
        var seen = ""
        for _ in 0..<60 where seen != after {
            seen = try shell.query("${VALUES: -24:7}")
            if seen != after { sleep(1) }
        }
        #expect(seen == after)
    }

    /// A flake.lock Nix wrote keeps its pins of nixpkgs (devenv's own package set stands in for it).
    @Test func nixpkgsPinsOfANixLockAreKept() throws {
        let fixture = try NixProjectTests.fixture(
            "flake.nix",
            """
            {
              inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
              outputs = { self, nixpkgs }: {
                devShells.${builtins.currentSystem}.default =
                  nixpkgs.legacyPackages.${builtins.currentSystem}.mkShell { packages = [ nixpkgs.legacyPackages.${builtins.currentSystem}.hello_2 ]; };
              };
            }

            """)
        let nixLock = """
            {
              "nodes": {
                "nixpkgs": {
                  "locked": {
                    "lastModified": 1645296114,
                    "narHash": "sha256-y53N7TyIkXsjMpOG7RhvqJFGDacLs9HlyHeSTBioqYU=",
                    "owner": "NixOS",
                    "repo": "nixpkgs",
                    "rev": "530a53dcbc9437363471167a5e4762c5fcfa34a1",
                    "type": "github"
                  },
                  "original": {
                    "owner": "NixOS",
                    "ref": "nixos-unstable",
                    "repo": "nixpkgs",
                    "type": "github"
                  }
                },
                "root": {
                  "inputs": {
                    "nixpkgs": "nixpkgs"
                  }
                }
              },
              "root": "root",
              "version": 7
            }

            """
        try nixLock.write(toFile: fixture.dir("proj/flake.lock"), atomically: true, encoding: .utf8)
        let entered = try fixture.run("develop", "-c", "hello", environment: NixProjectTests.nixpkgs)
        #expect(entered.output == "hello 2.1.3", "\(entered.stderr)")
        #expect(try String(contentsOfFile: fixture.dir("proj/flake.lock"), encoding: .utf8) == nixLock)
        // Without a lock, nothing is written: devenv fetched nothing to pin.
        try FileManager.default.removeItem(atPath: fixture.dir("proj/flake.lock"))
        #expect(try fixture.run("lock", environment: NixProjectTests.nixpkgs).status == 0)
        #expect(!FileManager.default.fileExists(atPath: fixture.dir("proj/flake.lock")))
    }

    /// nix-systems (`github:nix-systems/default` and the like) is devenv's own too: `import systems`
    /// is its list, and flake-utils may follow it.
    @Test func nixSystemsIsGivenNotFetched() throws {
        let fixture = try NixProjectTests.fixture(
            "flake.nix",
            """
            {
              inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
              inputs.systems.url = "github:nix-systems/default-linux";
              inputs.flake-utils = { url = "github:numtide/flake-utils"; inputs.systems.follows = "systems"; };
              outputs = { self, nixpkgs, systems, flake-utils }:
                let eachSystem = nixpkgs.lib.genAttrs (import systems);
                in {
                  devShells = eachSystem (system: {
                    default = nixpkgs.legacyPackages.${system}.mkShell {
                      SYSTEMS = builtins.concatStringsSep "," (import systems);
                    };
                  });
                };
            }

            """)
        let result = try fixture.run("develop", "-c", "sh", "-c", "echo $SYSTEMS", environment: NixProjectTests.nixpkgs)
        #expect(result.output == "aarch64-linux,x86_64-linux", "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.dir("proj/flake.lock")))
    }

    /// Hostile flakes and locks: circles, follows to nowhere, nesting past the bound, a broken lock.
    @Test func hostileInputsAndLocksAreRefused() throws {
        let fixture = try NixProjectTests.fixture("flake.nix", "")
        let deps = fixture.dir("deps")
        try fixture.dir.sh("mkdir -p deps/self")
        try "{ inputs.me.url = \"path:\(deps)/self\"; outputs = { self, me }: { }; }\n".write(
            toFile: deps + "/self/flake.nix", atomically: true, encoding: .utf8)
        func failure(_ flake: String, lock: String? = nil) throws -> CommandResult {
            try flake.write(toFile: fixture.dir("proj/flake.nix"), atomically: true, encoding: .utf8)
            if let lock { try lock.write(toFile: fixture.dir("proj/flake.lock"), atomically: true, encoding: .utf8) }
            return try fixture.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs)
        }
        let circle = try failure("{\n  inputs.me.url = \"path:\(deps)/self\";\n  outputs = { self, me }: { };\n}\n")
        #expect(
            circle.status == 2 && circle.stderr.contains("is its own input (a circle of flake inputs)"),
            "\(circle.stderr)")
        let nowhere = try failure("{\n  inputs.a.follows = \"nope\";\n  outputs = { self, a }: { };\n}\n")
        #expect(nowhere.stderr == "Error: input 'a' follows 'nope', which is no input\n")
        let escaping = try failure(
            "{\n  inputs.x.url = \"path:\(deps)/self?dir=../..\";\n  outputs = { self, x }: { };\n}\n")
        #expect(
            escaping.stderr.hasSuffix("input 'x': dir '../..' is not a directory inside the input\n"),
            "\(escaping.stderr)")
        // Flakes that each take the next one twice: a node per path, so at most 1000 in all.
        try fixture.dir.sh(
            """
            for i in $(seq 0 12); do mkdir -p deps/fan$i; done
            for i in $(seq 0 11); do
              n=$((i + 1))
              printf '{ inputs.a.url = "path:%s/fan%s"; inputs.b.url = "path:%s/fan%s"; outputs = { self, a, b }: { }; }\\n' \\
                "$PWD/deps" $n "$PWD/deps" $n > deps/fan$i/flake.nix
            done
            printf '{ outputs = { self }: { }; }\\n' > deps/fan12/flake.nix
            """)
        let fan = try failure("{\n  inputs.f.url = \"path:\(deps)/fan0\";\n  outputs = { self, f }: { };\n}\n")
        #expect(fan.stderr.contains("the flake has more than 1000 inputs in all"), "\(fan.stderr)")
        let noRegistry = try failure("{\n  outputs = { self, foo }: { };\n}\n")
        #expect(noRegistry.status == 2)
        #expect(noRegistry.stderr.contains("input 'foo' (foo): devenv has no flake registry"), "\(noRegistry.stderr)")
        let emptyKey = try failure("{\n  inputs.x.url = \"git+file:///nowhere?=\";\n  outputs = { self, x }: { };\n}\n")
        #expect(emptyKey.status == 2 && emptyKey.stderr.contains("unknown parameter ''"), "\(emptyKey.stderr)")
        let bare = try failure("{\n  inputs.x.url = \"./sub\";\n  outputs = { self, x }: { };\n}\n")
        #expect(bare.stderr.contains("write './sub' as path:./sub (or git+file://…)"), "\(bare.stderr)")
        let outside = try failure("{\n  inputs.x.url = \"path:../elsewhere\";\n  outputs = { self, x }: { };\n}\n")
        #expect(outside.stderr.contains("path '../elsewhere' points outside the flake that declares it"))
        let query = try failure(
            "{\n  inputs.x = { type = \"tarball\"; url = \"?\"; };\n  outputs = { self, x }: { };\n}\n")
        #expect((1...2).contains(query.status) && query.stderr.hasPrefix("Error:"), "\(query.stderr)")
        let noTarget = try failure("{\n  inputs.x.follows = \"\";\n  outputs = { self, x }: { };\n}\n")
        #expect(noTarget.stderr.contains("`follows` names no input"), "\(noTarget.stderr)")
        // Follows that each name the one before through a long path: resolved once each, not 2^N times.
        let ladder = (1...12).map {
            "  inputs.r\($0).follows = \"r\($0 - 1)" + String(repeating: "/x", count: 20) + "\";"
        }
        let start = Date()
        let ladderResult = try failure(
            "{\n  inputs.r0.follows = \"r9\";\n" + ladder.joined(separator: "\n")
                + "\n  outputs = { self, ... }: { };\n}\n")
        #expect(ladderResult.stderr.contains("which is no input"), "\(ladderResult.stderr)")
        #expect(Date().timeIntervalSince(start) < 20)
        // A lock whose nodes are shared 2^30 ways is read and described once per node.
        let shared = (0..<30).map {
            "\"n\($0)\": {\"inputs\": {\"a\": \"n\($0 + 1)\", \"b\": \"n\($0 + 1)\"}, \"locked\": {\"narHash\": \"sha256-x\", \"type\": \"path\", \"path\": \"/x\"}, \"original\": {\"type\": \"path\", \"path\": \"/x\"}}"
        }.joined(separator: ", ")
        let sharedLock =
            "{\"nodes\": {\"root\": {\"inputs\": {\"x\": \"n0\"}}, \(shared), \"n30\": {\"locked\": {\"narHash\": \"sha256-x\", \"type\": \"path\", \"path\": \"/x\"}, \"original\": {\"type\": \"path\", \"path\": \"/x\"}}}, \"root\": \"root\", \"version\": 7}"
        try
            "{ outputs = { self }: { devShells.${builtins.currentSystem}.default = (import <nixpkgs> { }).mkShell { }; }; }\n"
            .write(toFile: fixture.dir("proj/flake.nix"), atomically: true, encoding: .utf8)
        try sharedLock.write(toFile: fixture.dir("proj/flake.lock"), atomically: true, encoding: .utf8)
        let relocked = try fixture.run("lock", environment: NixProjectTests.nixpkgs)
        #expect(relocked.output.contains("- input x (path:/x)"), "\(relocked.stderr)")
        let broken = try failure("{ outputs = { self }: { }; }\n", lock: "{ \"nodes\": 1 }")
        #expect(broken.status == 2)
        #expect(broken.stderr == "Error: flake.lock: not a flake lock (an object with nodes, root and version)\n")
        let cycle = try failure(
            "{ outputs = { self }: { }; }\n",
            lock:
                #"{"nodes": {"root": {"inputs": {"a": "a"}}, "a": {"inputs": {"b": "root"}, "locked": {"narHash": "sha256-x"}, "original": {}}}, "root": "root", "version": 7}"#
        )
        #expect(cycle.stderr == "Error: flake.lock: node 'root' is its own input\n")
        let chain = (0..<40).map {
            "\"n\($0)\": {\"inputs\": {\"x\": \"n\($0 + 1)\"}, \"locked\": {\"narHash\": \"sha256-x\"}, \"original\": {}}"
        }.joined(separator: ", ")
        let deep = try failure(
            "{ outputs = { self }: { }; }\n",
            lock: "{\"nodes\": {\"root\": {\"inputs\": {\"x\": \"n0\"}}, \(chain)}, \"root\": \"root\", \"version\": 7}"
        )
        #expect(deep.stderr == "Error: flake.lock: inputs nest deeper than 32\n")
    }
}
