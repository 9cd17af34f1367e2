import Foundation
import TestSupport
import Testing

struct CommandLineTests {
    @Test func versionNamesTheProject() throws {
        let result = try DevenvCLI(home: "/nonexistent")("--version")
        #expect(result.status == 0)
        #expect(result.output.hasPrefix("devenv 0."))
        #expect(result.output.contains("not cachix/devenv"))
    }

    /// An error with standard error closed or full is lost, not a crash: the command still exits
    /// with its own status (2, a mistake in devenv.toml), and what it writes on standard output
    /// with that closed is lost the same way. Standard input closed, where it is read, is an error.
    @Test(arguments: [
        ("lock 2>&-", 2), ("lock 2>/dev/full", 2), ("eval '1 + 1' >&-", 0), ("nix-instantiate --eval - <&-", 1),
    ])
    func aClosedOrFullStreamIsNoCrash(_ command: String, _ status: Int) throws {
        let dir = try TemporaryDirectory("streams")
        try "[shell]\npackages = [\"no-such-package\"]\n".write(
            toFile: dir("devenv.toml"), atomically: true, encoding: .utf8)
        let result = try runCommand(
            "/bin/sh", ["-c", "cd \"$1\" && \"$0\" \(command); echo \"status $?\" >&2", DevenvCLI.binary, dir.path],
            environment: DevenvCLI(home: dir("home")).environment)
        #expect(result.stderr.hasSuffix("status \(status)\n"), "\(result.stderr)")
        if status == 1 { #expect(result.stderr.hasPrefix("Error: cannot read standard input"), "\(result.stderr)") }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionsAreGenerated(_ shell: String) throws {
        let result = try runCommand(DevenvCLI.binary, ["--generate-completion-script", shell])
        #expect(result.status == 0)
        #expect(result.output.contains("path-info"))
    }

    /// Every command of the tree `devenv --help` shows (subcommands of subcommands included),
    /// each found from its parent's help rather than listed here.
    static func commandTree(_ path: [String] = []) throws -> [[String]] {
        let help = try runCommand(DevenvCLI.binary, path + ["--help"]).output
        let children = help.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("SUBCOMMANDS:") }.dropFirst().prefix { !$0.isEmpty }
            // A command's line starts with two spaces; its abstract's continuation lines with more.
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        return try [path] + children.flatMap { try commandTree(path + [$0]) }
    }

    /// Every command's help, with its discussion wrapped by argument-parser alone: within a
    /// paragraph only the last line may end short (a hard line break in the text would not).
    @Test func everyCommandHasHelpWrappedAsParagraphs() throws {
        let commands = try Self.commandTree()
        #expect(
            commands.contains(["gc"]) && commands.contains(["reload"]) && commands.contains(["store", "why-depends"]))
        #expect(commands.contains(["profile", "install"]) && commands.count > 35, "\(commands)")
        for command in commands {
            let result = try runCommand(DevenvCLI.binary, command + ["--help"])
            #expect(result.status == 0 && result.output.contains("USAGE: devenv"), "\(command)")
            let discussion = result.output.components(separatedBy: "\n\nUSAGE:")[0].split(
                separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in discussion.enumerated().dropLast() where !line.isEmpty {
                let next = discussion[index + 1]
                #expect(next.isEmpty || line.count >= 50, "devenv \(command) --help: '\(line)' / '\(next)'")
            }
        }
    }

    /// Completion offers package, template, shell, script and profile package names, in real
    /// bash and fish, asking devenv itself at Tab.
    @Test func completionsNameWhatTheCommandsTake() throws {
        let fixture = try ProjectFixture()
        let bin = URL(fileURLWithPath: DevenvCLI.binary).deletingLastPathComponent().path
        var environment = fixture.devenv.environment
        environment["PATH"] = bin + ":/usr/bin:/bin"
        func bash(_ line: String) throws -> String {
            let script = """
                source <(devenv --generate-completion-script bash)
                COMP_LINE=$1; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<<"$COMP_LINE"
                [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                _devenv devenv "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            return try runCommand(
                "/bin/bash", ["-c", script, "complete", line], environment: environment,
                currentDirectory: fixture.dir("proj")
            ).output
        }
        #expect(try bash("devenv build go_1_2") == "go_1_22\ngo_1_23\ngo_1_24\ngo_1_25\ngo_1_26\ngo_1_27")
        #expect(try bash("devenv info nodejs_2") == "nodejs_20\nnodejs_22\nnodejs_24")
        #expect(try bash("devenv init --template p") == "polyglot\npython")
        #expect(try bash("devenv develop --shell ") == "default\nold")
        #expect(try bash("devenv run a") == "args")
        // fish asks for the line being edited, so only an interactive one can complete.
        environment["HOME"] = fixture.dir("fish-home")
        environment["XDG_CONFIG_HOME"] = fixture.dir("fish-home/.config")
        try FileManager.default.createDirectory(
            atPath: fixture.dir("fish-home/.config/fish"), withIntermediateDirectories: true)
        try """
        function fish_prompt; echo -n '$ '; end
        function fish_greeting; end
        devenv --generate-completion-script fish | source
        """.write(toFile: fixture.dir("fish-home/.config/fish/config.fish"), atomically: true, encoding: .utf8)
        let fish = try ShellSession("fish", running: "fish -i", in: fixture.dir("proj"), environment: environment)
        try fish.waitFor { $0.contains("$ ") }
        try fish.type("devenv print-env --shell-name o")
        try fish.press("Tab")
        try fish.waitFor { $0.contains("devenv print-env --shell-name old") }
        try fish.press("C-u")
        try fish.type("devenv profile install nodejs_2")
        try fish.press("Tab")
        try fish.waitFor { $0.contains("nodejs_20") && $0.contains("nodejs_22") && $0.contains("nodejs_24") }
    }

    @Test func commandLineMistakesGetTheErrorThenTheUsageAnd64() throws {
        let result = try runCommand(DevenvCLI.binary, ["build", "--no-such-flag", "x"])
        #expect(result.status == 64)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.first == "Error: Unknown option '--no-such-flag'")
        #expect(lines.dropFirst().contains { $0.hasPrefix("Usage: devenv build") })
        #expect(lines.last?.contains("See 'devenv build --help' for more information.") == true)
    }

    @Test func badInputGetsOneLineAndANonZeroExit() throws {
        let dir = try TemporaryDirectory()
        let devenv = DevenvCLI(home: dir("home"))
        for arguments in [
            ["store", "add", dir("missing")], ["store", "hash", dir("missing")], ["store", "path-info", "/etc/passwd"],
            ["store", "hash", "--type", "sha3", dir.path],
        ] {
            let result = try runCommand(DevenvCLI.binary, arguments, environment: devenv.environment)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.hasPrefix("Error: "), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let missing = try devenv("store", "add", dir("missing"))
        #expect(missing.stderr == "Error: cannot stat '\(dir("missing"))': No such file or directory\n")
    }
}
