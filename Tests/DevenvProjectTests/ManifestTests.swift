import DevenvBasics
import DevenvProject
import Testing

/// devenv.toml read in process: each mistake at its line and column, without a process round trip.
struct ManifestTests {
    static let mistakes: [(String, String)] = [
        ("[shell\npackages = []\n", "devenv.toml:1:7: Error while parsing table header"),
        ("[shell]\npakages = [\"hello_2\"]\n", "devenv.toml:2:1: unknown key 'pakages' in 'shell'"),
        (
            "[shell]\npackages = \"hello_2\"\n",
            "devenv.toml:2:1: 'packages' in 'shell' must be an array of strings, not a string"
        ),
        (
            "[shell]\npackages = [\"team.hello\"]\n",
            "devenv.toml:2:13: 'team.hello' names the input 'team', which [inputs] does not declare"
        ),
        (
            "[shell]\npackages = [\"jq\", \"debian:trixie/$(touch F)\"]\n",
            "devenv.toml:2:19: 'debian:trixie/$(touch F)' is not a package (NAME, INPUT.NAME, NAME@VERSION or debian:SUITE/PACKAGE)"
        ),
        (
            "[shell]\npackages = [\"debian:../etc/jq\"]\n",
            "devenv.toml:2:13: 'debian:../etc/jq' is not a package"
        ),
        ("[inputs]\nteam = \"svn://x\"\n", "devenv.toml:2:1: input 'team' = \"svn://x\" is not"),
        ("[project]\nsystems = []\n", "devenv.toml:2:1: 'systems' must name at least one system"),
        (
            "[project]\nsystems = [\"x86_64-linux\", \"evil-os\"]\n",
            "devenv.toml:2:28: \"evil-os\" is not a system devenv knows"
        ),
        ("nonsense = 1\n", "devenv.toml:1:1: unknown key 'nonsense' at the top level"),
        (
            "[shell]\nenv = { A = \"a\", B = 1 }\n",
            "devenv.toml:2:18: 'env.B' in 'shell' must be a string, not an integer"
        ),
        ("[shell]\nenv = { status = \"x\" }\n", "devenv.toml:2:9: \"status\" in 'shell.env' is not a variable name"),
        (
            "[shell]\naliases = { 'a b' = \"ls\" }\n",
            "devenv.toml:2:13: \"a b\" in 'shell.aliases' is not an alias name"
        ),
        ("[shells.default]\npackages = []\n", "devenv.toml:1:1: the shell 'default' is the one [shell] declares"),
    ]

    @Test(arguments: mistakes.indices)
    func mistakesAreManifestErrorsAtTheirPlace(_ index: Int) {
        let (text, message) = Self.mistakes[index]
        let error = #expect(throws: ManifestError.self) { try Manifest(parsing: text, file: "devenv.toml") }
        #expect(error?.description.hasPrefix(message) == true, "\(error?.description ?? "")")
    }

    @Test func aManifestIsReadWithItsDefaults() throws {
        let manifest = try Manifest(
            parsing: """
                [shell]
                packages = ["go@1.24", "team.lint"]
                env = { GOPATH = "$DEVENV_ROOT/.go" }
                aliases = { gt = "go test" }
                [inputs]
                team = "git+https://example.org/pkgs?ref=main"
                [checks]
                vet = "go vet"
                test = "go test"
                """, file: "devenv.toml", currentSystem: "aarch64-linux")
        #expect(manifest.systems == ["aarch64-linux"])
        #expect(manifest.inputs["pkgs"] == .builtin)
        #expect(manifest.inputs["team"] == .git(url: "https://example.org/pkgs", ref: "main", rev: nil))
        let shell = try manifest.shell(Manifest.defaultShell)
        #expect(shell.packages.map(\.description) == ["go@1.24", "team.lint"])
        #expect(shell.aliases == ["gt": "go test"])
        // Checks keep the order they are written in.
        #expect(manifest.checks.map(\.name) == ["vet", "test"])
        #expect(throws: ProjectError.self) { try manifest.shell("ci") }
        #expect(throws: ProjectError.self) { try manifest.script("build") }
    }

    @Test func manifestChangesNameTheKeysThatDiffer() {
        let old = "[shell]\npackages = [\"a\"]\nenv = { MODE = \"dev\" }\n[scripts]\nx = \"1\"\n"
        let new = "# a comment\n[shell]\npackages = [\"a\", \"b\"]\nenv = { MODE = \"prod\" }\n[scripts]\nx = \"1\"\n"
        #expect(ManifestChanges.keys(from: old, to: new) == ["shell.env.MODE", "shell.packages"])
        #expect(ManifestChanges.beyondTheLock(from: old, to: new) == ["shell.env.MODE"])
        #expect(ManifestChanges.keys(from: old, to: "# only a comment\n" + old) == [])
        #expect(ManifestChanges.keys(from: old, to: "[shell") == nil)
    }
}
