import Foundation
import TestSupport
import Testing

/// Projects described only by a shell.nix or flake.nix, with the fixture's package set as
/// `<nixpkgs>` (DEVENV_NIXPKGS): entered with develop, through the real bash hook, checked.
struct NixProjectTests {
    static let shellNix = """
        { pkgs ? import <nixpkgs> { } }:
        let
          inherit (pkgs) lib;
          hello = pkgs.hello_2;
        in
        pkgs.mkShell {
          buildInputs = with pkgs; [ hello_2 ] ++ lib.optional pkgs.stdenv.isLinux hello_1;
          HELLO_BIN = "${hello}/bin/hello";
          GREETING = "hi";
          shellHook = ''
            export GOPATH=$PWD/.go
            export PATH=$GOPATH/bin:$PATH
            echo "hook of ${pkgs.hello_2.name}"
          '';
        }
        """

    static let flakeNix = """
        {
          description = "two shells";
          inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
          inputs.flake-utils.url = "github:numtide/flake-utils";
          outputs = { self, nixpkgs, flake-utils }:
            flake-utils.lib.eachDefaultSystem (system:
              let pkgs = nixpkgs.legacyPackages.${system};
              in {
                devShells.default = pkgs.mkShell { packages = [ pkgs.hello_2 ]; WHICH = "default"; };
                devShells.old = pkgs.mkShellNoCC { buildInputs = [ pkgs.hello_1 ]; WHICH = "old"; };
                checks.greets = pkgs.runCommand "greets" { } ''
                  ${pkgs.hello_2}/bin/hello | grep -q 2.1.3
                  touch $out
                '';
                checks.fails = pkgs.runCommand "fails" { } ''test -n "$NOT_SET"'';
                apps.hi = { type = "app"; program = "${pkgs.hello_2}/bin/hello"; };
              });
        }
        """

    /// The fixture with `proj/devenv.toml` replaced by `file` holding `text`.
    static func fixture(_ file: String, _ text: String) throws -> ProjectFixture {
        let fixture = try ProjectFixture()
        try FileManager.default.removeItem(atPath: fixture.dir("proj/devenv.toml"))
        try text.write(toFile: fixture.dir("proj/" + file), atomically: true, encoding: .utf8)
        return fixture
    }

    static let nixpkgs = ["DEVENV_NIXPKGS": "path:../pkgs"]

    @Test func aShellNixIsEnteredLikeADevenvToml() throws {
        let fixture = try NixProjectTests.fixture("shell.nix", NixProjectTests.shellNix)
        let root = fixture.dir("proj")
        let result = try fixture.run(
            "develop", "-c", "sh", "-c", "hello; $HELLO_BIN; echo \"$GREETING|$GOPATH|$PATH\"",
            environment: NixProjectTests.nixpkgs)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.output.split(separator: "\n").map(String.init)
        // hello_2 comes first, so its `hello` wins; the interpolated path is hello_2's store path.
        #expect(lines[0] == "hello 2.1.3" && lines[1] == "hello 2.1.3")
        let fields = lines[2].split(separator: "|").map(String.init)
        #expect(fields[0] == "hi" && fields[1] == root + "/.go")
        #expect(fields[2].hasPrefix(root + "/.go/bin:"))
        #expect(result.stderr.contains("hook of hello_2"))
        #expect(fixture.lockText.contains("\"hello_2\"") && fixture.lockText.contains("\"hello_1\""))
        #expect(try fixture.run("check", environment: NixProjectTests.nixpkgs).status == 0)
        #expect(try fixture.run("develop", "--locked", "-c", "true", environment: NixProjectTests.nixpkgs).status == 0)
    }

    /// `init --from-nix` writes the devenv.toml devenv read from the Nix file, with
    /// `${packages.NAME}` where the Nix code interpolated a package; it works without the Nix file.
    @Test func initFromNixWritesTheEquivalentManifest() throws {
        let fixture = try NixProjectTests.fixture("shell.nix", NixProjectTests.shellNix)
        let written = try fixture.run("init", "--from-nix", environment: NixProjectTests.nixpkgs)
        #expect(written.status == 0, "\(written.stderr)")
        let manifest = try String(contentsOfFile: fixture.dir("proj/devenv.toml"), encoding: .utf8)
        #expect(manifest.contains("pkgs = \"path:../pkgs\""))
        #expect(manifest.contains("packages = [\"hello_2\", \"hello_1\"]"))
        #expect(manifest.contains("HELLO_BIN = \"${packages.hello_2}/bin/hello\""))
        try FileManager.default.removeItem(atPath: fixture.dir("proj/shell.nix"))
        let entered = try fixture.run("develop", "-c", "sh", "-c", "$HELLO_BIN; echo $GREETING")
        #expect(entered.output == "hello 2.1.3\nhi", "\(entered.stderr)")
        #expect(entered.stderr.contains("hook of hello_2"))
        let again = try fixture.run("init", "--from-nix")
        #expect(again.status == 1 && again.stderr.contains("devenv.toml already exists"))
    }

    /// Evaluations are cached; a file the evaluation read, changed, makes the next one evaluate again.
    @Test func aChangedImportIsSeen() throws {
        let fixture = try NixProjectTests.fixture(
            "shell.nix", "{ pkgs ? import <nixpkgs> {} }:\npkgs.mkShell { buildInputs = import ./tools.nix pkgs; }\n")
        try "pkgs: [ pkgs.hello_2 ]\n".write(toFile: fixture.dir("proj/tools.nix"), atomically: true, encoding: .utf8)
        #expect(try fixture.run("develop", "-c", "hello", environment: NixProjectTests.nixpkgs).output == "hello 2.1.3")
        #expect(try fixture.run("develop", "-c", "hello", environment: NixProjectTests.nixpkgs).output == "hello 2.1.3")
        let cached = try FileManager.default.contentsOfDirectory(atPath: fixture.dir("home/nix-eval"))
        #expect(cached.count == 1)
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.dir("home/nix-eval"))[.posixPermissions]
        #expect(mode as? Int == 0o700)
        try "pkgs: [ pkgs.hello_1 ]\n".write(toFile: fixture.dir("proj/tools.nix"), atomically: true, encoding: .utf8)
        let changed = try fixture.run("develop", "-c", "hello", environment: NixProjectTests.nixpkgs)
        #expect(changed.output == "hello 1.0", "\(changed.stderr)")
    }

    @Test func aFlakesDevShellsAreTheProjectsShells() throws {
        let fixture = try NixProjectTests.fixture("flake.nix", NixProjectTests.flakeNix)
        let first = try fixture.run(
            "develop", "-c", "sh", "-c", "hello; echo $WHICH", environment: NixProjectTests.nixpkgs)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.output == "hello 2.1.3\ndefault")
        let old = try fixture.run(
            "develop", "--shell", "old", "-c", "sh", "-c", "hello; echo $WHICH", environment: NixProjectTests.nixpkgs)
        #expect(old.output == "hello 1.0\nold", "\(old.stderr)")
        // checks made with runCommand are devenv's checks; apps are its scripts.
        let check = try fixture.run("check", environment: NixProjectTests.nixpkgs)
        #expect(check.status == 1)
        #expect(check.stderr.contains("PASS greets") && check.stderr.contains("FAIL fails"), "\(check.stderr)")
        let app = try fixture.run("run", "hi", environment: NixProjectTests.nixpkgs)
        #expect(app.output == "hello 2.1.3", "\(app.stderr)")
    }

    @Test func mistakesAreReportedWhereTheyAre() throws {
        let unknown = try NixProjectTests.fixture(
            "shell.nix", "{ pkgs ? import <nixpkgs> {} }:\npkgs.mkShell {\n  buildInputs = [ pkgs.hello_3 ];\n}\n")
        let missing = try unknown.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs)
        #expect(missing.status == 2)
        #expect(
            missing.stderr
                == "Error: shell.nix:3:19: attribute 'hello_3' missing; did you mean 'hello_1', 'hello_2'?\n")
        let undefined = try NixProjectTests.fixture(
            "shell.nix", "{ pkgs ? import <nixpkgs> {} }:\npkgs.mkShell {\n  buildInputs = with pkgs; [ helo_2 ];\n}\n")
        let unbound = try undefined.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs)
        #expect(unbound.stderr.hasPrefix("Error: shell.nix:3:30: undefined variable 'helo_2'; did you mean 'hello_2'"))
        let syntax = try NixProjectTests.fixture(
            "shell.nix", "{ pkgs ? import <nixpkgs> {} }:\npkgs.mkShell {\n  x = ;\n}\n")
        let broken = try syntax.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs)
        #expect(broken.status == 2)
        #expect(broken.stderr == "Error: shell.nix:3:7: syntax error, unexpected ';'\n")
        let notAPackage = try NixProjectTests.fixture(
            "shell.nix", "{ pkgs ? import <nixpkgs> {} }:\npkgs.mkShell {\n  buildInputs = [ \"hello\" ];\n}\n")
        let stringInput = try notAPackage.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs)
        #expect(
            stringInput.stderr
                == "Error: shell.nix:3:3: buildInputs holds a string that is not a package of devenv's set\n")
        let forged = try NixProjectTests.fixture(
            "shell.nix",
            "{ pkgs ? import <nixpkgs> {} }:\npkgs.mkShell {\n  packages = [ { __devenvPackage = \"x; rm -rf ~\"; } ];\n}\n"
        )
        let made = try forged.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs)
        #expect(made.status == 2)
        #expect(made.stderr == "Error: shell.nix:3:3: packages holds 'x; rm -rf ~', which is not a package name\n")
        let own = try NixProjectTests.fixture(
            "shell.nix", "{ pkgs ? import <nixpkgs> {} }:\npkgs.mkShell {\n  DEVENV_ROOT = \"/elsewhere\";\n}\n")
        #expect(
            try own.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs).stderr
                == "Error: shell.nix:3:3: 'DEVENV_ROOT' is devenv's own (DEVENV_… and __devenv… are)\n")
        let script = try NixProjectTests.fixture(
            "shell.nix",
            "{ pkgs ? import <nixpkgs> {} }:\npkgs.mkShell {\n  packages = [ (pkgs.writeShellScriptBin \"../hi\" \"echo hi\") ];\n}\n"
        )
        #expect(
            try script.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs).stderr
                == "Error: shell.nix:3:3: '../hi' is not \(NixProjectTests.programRule)\n")
        let foreign = try NixProjectTests.fixture(
            "shell.nix", "{ pkgs ? import <nixpkgs> {} }:\npkgs.mkShell {\n  X = \"${pkgs.hello_1}\";\n}\n")
        let path = try foreign.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs)
        #expect(
            path.stderr
                == "Error: shell.nix:3:3: uses the store path of 'hello_1', which is not a package of the shell (add it to its packages)\n"
        )
        let flake = try NixProjectTests.fixture(
            "flake.nix",
            "{\n  inputs.rust.url = \"hg+https://example.org/rust\";\n  outputs = { self, rust }: { };\n}\n")
        let input = try flake.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs)
        #expect(input.status == 2)
        #expect(
            input.stderr
                == "Error: flake.nix:2:3: input 'rust': 'hg+https://example.org/rust' is not an input devenv fetches (path:, git+, github:, an archive's URL, or a name)\n"
        )
    }

    static let programRule = "a program name (letters, digits, _, -, . and +, not starting with - . or +)"

    /// `writeShellScriptBin` and `writeShellApplication` in a shell's packages are programs on its
    /// PATH (a package's store path interpolated, an application's strict mode and runtimeInputs);
    /// `init --from-nix` keeps them as `[shell.programs]`.
    @Test func scriptsMadeInNixAreProgramsOfTheShell() throws {
        let fixture = try NixProjectTests.fixture(
            "shell.nix",
            """
            { pkgs ? import <nixpkgs> { } }:
            let
              greet = pkgs.writeShellScriptBin "greet" ''
                echo "hi $1 with ${pkgs.hello_2}/bin/hello"
              '';
              strict = pkgs.writeShellApplication {
                name = "strict";
                runtimeInputs = [ pkgs.hello_1 ];
                text = ''
                  hello
                  echo "$NOT_SET"
                '';
              };
            in
            pkgs.mkShell { packages = [ greet strict pkgs.hello_2 ]; }

            """)
        let result = try fixture.run(
            "develop", "-c", "sh", "-c", "greet you; strict; echo \"status $?\"", environment: NixProjectTests.nixpkgs)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(result.output)")
        #expect(lines.first?.hasPrefix("hi you with /") == true)
        #expect(lines.first?.hasSuffix("-hello_2-2.1.3/bin/hello") == true)
        // hello_1 is the application's runtime input: first on its PATH, last on the shell's.
        #expect(lines.dropFirst().first == "hello 1.0" && lines.last == "status 1")
        #expect(try fixture.run("develop", "-c", "hello", environment: NixProjectTests.nixpkgs).output == "hello 2.1.3")
        #expect(result.stderr.contains("NOT_SET: unbound variable"))
        #expect(fixture.lockText.contains("\"hello_1\""))

        #expect(try fixture.run("init", "--from-nix", environment: NixProjectTests.nixpkgs).status == 0)
        let manifest = try String(contentsOfFile: fixture.dir("proj/devenv.toml"), encoding: .utf8)
        #expect(
            manifest.contains("[shell.programs]\ngreet = '''\necho \"hi $1 with ${packages.hello_2}/bin/hello\"\n'''"))
        try FileManager.default.removeItem(atPath: fixture.dir("proj/shell.nix"))
        #expect(try fixture.run("develop", "-c", "greet", "again").output.hasPrefix("hi again with /"))
    }

    /// A flake app whose program is a script made in Nix runs that script with its arguments; a
    /// script's store path elsewhere is the directory of the shell's programs, when it is one.
    @Test func anAppOfAScriptRunsIt() throws {
        let fixture = try NixProjectTests.fixture(
            "flake.nix",
            """
            {
              outputs = { self, nixpkgs }:
                let
                  pkgs = nixpkgs.legacyPackages.${builtins.currentSystem};
                  greet = pkgs.writeShellScriptBin "greet" ''echo "hi $1 and $2"'';
                in {
                  devShells.${builtins.currentSystem}.default = pkgs.mkShell { packages = [ pkgs.hello_2 ]; };
                  apps.${builtins.currentSystem}.greet = { type = "app"; program = "${greet}/bin/greet"; };
                };
            }

            """)
        let run = try fixture.run("run", "greet", "you", "me", environment: NixProjectTests.nixpkgs)
        #expect(run.output == "hi you and me", "\(run.stderr)")
        let misused = try NixProjectTests.fixture(
            "shell.nix",
            "{ pkgs ? import <nixpkgs> {} }:\nlet greet = pkgs.writeShellScriptBin \"greet\" \"echo hi\"; in\npkgs.mkShell {\n  shellHook = \"${greet}/bin/greet\";\n}\n"
        )
        #expect(
            try misused.run("develop", "-c", "true", environment: NixProjectTests.nixpkgs).stderr
                == "Error: shell.nix:4:3: uses the store path of the script 'greet', which is not a program of the shell (add it to its packages)\n"
        )
        let listed = try NixProjectTests.fixture(
            "shell.nix",
            "{ pkgs ? import <nixpkgs> {} }:\nlet greet = pkgs.writeShellScriptBin \"greet\" \"echo hi $1\"; in\npkgs.mkShell {\n  packages = [ greet ];\n  GREET = \"${greet}/bin/greet\";\n}\n"
        )
        let entered = try listed.run("develop", "-c", "sh", "-c", "$GREET there", environment: NixProjectTests.nixpkgs)
        #expect(entered.output == "hi there", "\(entered.stderr)")
        #expect(try listed.run("init", "--from-nix", environment: NixProjectTests.nixpkgs).status == 0)
        let manifest = try String(contentsOfFile: listed.dir("proj/devenv.toml"), encoding: .utf8)
        #expect(manifest.contains("GREET = \"${packages.devenv-programs}/bin/greet\""), "\(manifest)")
    }

    /// The fixture's project realized and allowed, and a bash with devenv's hook in its parent
    /// directory.
    static func hookedBash(_ fixture: ProjectFixture) throws -> ShellSession {
        let environment = NixProjectTests.nixpkgs.merging(["TERM": "xterm"]) { $1 }
        #expect(try fixture.run("develop", "-c", "true", environment: environment).status == 0)
        #expect(try fixture.run("allow", environment: environment).status == 0)
        return try ShellSession(
            "bash", devenv: fixture.devenv, home: fixture.dir("shell-home"), start: fixture.dir.path,
            environment: NixProjectTests.nixpkgs)
    }

    @Test func theBashHookLoadsAndUnloadsIt() throws {
        let fixture = try NixProjectTests.fixture("shell.nix", NixProjectTests.shellNix)
        let shell = try NixProjectTests.hookedBash(fixture)
        let root = fixture.dir("proj")
        #expect(try shell.query("$GREETING|$GOPATH", after: "cd \(root)") == "hi|\(root)/.go")
        try shell.send("$HELLO_BIN")
        try shell.waitFor { $0.contains("hello 2.1.3") }
        #expect(try shell.query("[$GREETING|$GOPATH]", after: "cd ..") == "[|]")
    }
}
