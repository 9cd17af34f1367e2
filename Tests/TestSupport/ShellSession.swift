import Foundation

/// A real interactive bash, zsh or fish in its own tmux server, with devenv's hook installed,
/// driven by keystrokes and read from the screen.
public final class ShellSession: @unchecked Sendable {
    public let shell: String
    private let socket: String
    private var queries = 0

    /// Runs `command` (started by tmux through /bin/sh) in a tmux server of its own, in `start`,
    /// with exactly `environment`; `shell` names the shell that will answer queries.
    public init(_ shell: String, running command: String, in start: String, environment: [String: String]) throws {
        self.shell = shell
        socket = "devenv-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let started = try runCommand(
            "/usr/bin/tmux",
            ["-L", socket, "new-session", "-d", "-s", "main", "-x", "250", "-y", "60", "-c", start, command],
            environment: environment)
        guard started.status == 0 else { throw CommandFailure(description: "tmux: \(started.stderr)") }
    }

    /// Starts an interactive `shell` in `start` whose rc file (under `home`) sets a plain prompt,
    /// runs `rc` and evaluates `devenv hook SHELL`; returns once the first prompt shows.
    public convenience init(
        _ shell: String, devenv: DevenvCLI, home: String, start: String, environment extra: [String: String] = [:],
        rc: String = ""
    ) throws {
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        var environment = devenv.environment.merging(extra) { _, new in new }
        environment["HOME"] = home
        environment["TERM"] = "xterm"
        let binary = DevenvCLI.binary
        let command: String
        switch shell {
        case "zsh":
            try "PS1='$ '\n\(rc)\neval \"$(\(binary) hook zsh)\"\n".write(
                toFile: home + "/.zshrc", atomically: true, encoding: .utf8)
            environment["ZDOTDIR"] = home
            command = "zsh -i"
        case "fish":
            try FileManager.default.createDirectory(atPath: home + "/.config/fish", withIntermediateDirectories: true)
            try
                "function fish_prompt; echo -n '$ '; end\nfunction fish_greeting; end\n\(rc)\n\(binary) hook fish | source\n"
                .write(toFile: home + "/.config/fish/config.fish", atomically: true, encoding: .utf8)
            environment["XDG_CONFIG_HOME"] = home + "/.config"
            command = "fish -i"
        default:
            try "PS1='$ '\n\(rc)\neval \"$(\(binary) hook bash)\"\n".write(
                toFile: home + "/.bashrc", atomically: true, encoding: .utf8)
            command = "bash --rcfile \(home)/.bashrc -i"
        }
        try self.init(shell, running: command, in: start, environment: environment)
        _ = try waitFor { $0.contains("$ ") }
    }

    deinit {
        _ = try? runCommand("/usr/bin/tmux", ["-L", socket, "kill-server"])
    }

    /// Types `line` and Enter.
    public func send(_ line: String) throws {
        try type(line)
        try press("Enter")
    }

    /// Types `text` as it is.
    public func type(_ text: String) throws {
        _ = try runCommand("/usr/bin/tmux", ["-L", socket, "send-keys", "-t", "main", "-l", text])
    }

    /// Presses a key by tmux's name for it (`Enter`, `Tab`, `C-c`).
    public func press(_ key: String) throws {
        _ = try runCommand("/usr/bin/tmux", ["-L", socket, "send-keys", "-t", "main", key])
    }

    /// The whole screen and scrollback.
    public func screen() throws -> String {
        try runCommand("/usr/bin/tmux", ["-L", socket, "capture-pane", "-p", "-J", "-S", "-3000", "-t", "main"]).output
    }

    /// Waits (up to `seconds`) until the screen satisfies `condition`; returns the screen.
    @discardableResult
    public func waitFor(seconds: Double = 20, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var text = ""
        while Date() < deadline {
            text = try screen()
            if condition(text) { return text }
            usleep(50_000)
        }
        throw CommandFailure(description: "the \(shell) screen never showed what was expected:\n\(text)")
    }

    /// Runs `command`, then prints `expression` (shell syntax shared by the three: "..$VAR..") and
    /// returns what it printed.
    public func query(_ expression: String, after command: String? = nil) throws -> String {
        queries += 1
        let tag = "Q\(queries)>"
        if let command { try send(command) }
        try send("echo \"\(tag)\(expression)<\"")
        let text = try waitFor { $0.split(separator: "\n").contains { $0.hasPrefix(tag) && $0.hasSuffix("<") } }
        let line = text.split(separator: "\n").last { $0.hasPrefix(tag) }!
        return String(line.dropFirst(tag.count).dropLast())
    }

    /// The processes the shell starts while `body` runs (strace on the shell, its threads not
    /// counted: fish keeps a pool), as strace's lines; `trace` is where strace writes them.
    public func processesStarted(trace: String, while body: () throws -> Void) throws -> [String] {
        _ = try query("ready")
        // strace, stopped by SIGINT (from timeout at the latest).
        let strace = try ChildProcess(
            "/usr/bin/timeout",
            [
                "-s", "INT", "60", "/usr/bin/strace", "-f", "-qq", "-e", "trace=fork,vfork,clone,clone3,execve",
                "-o", trace, "-p", String(try pid()),
            ])
        usleep(1_500_000)
        try body()
        _ = try query("done")
        kill(-strace.pid, SIGINT)
        try strace.wait(timeout: 60)
        let events = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
        return events.split(separator: "\n").filter {
            !$0.contains("resumed") && !$0.contains("exited") && !$0.contains("CLONE_THREAD")
        }.map(String.init)
    }

    /// The process id of the shell.
    public func pid() throws -> Int32 {
        Int32(
            try runCommand("/usr/bin/tmux", ["-L", socket, "display-message", "-p", "-t", "main", "#{pane_pid}"]).output
        )!
    }
}
