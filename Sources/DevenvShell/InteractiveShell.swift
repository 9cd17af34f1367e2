import DevenvBasics
import DevenvBuild
import DevenvStore
import Foundation

/// The user's shell (bash, zsh or fish, from `$SHELL`) started inside an environment. The shell
/// reads the user's own startup files first; then the environment's PATH directories are put back
/// in front (startup files often reset PATH) and the manifest's aliases are defined.
public struct InteractiveShell {
    /// The shell to start.
    public let program: String
    /// Set when `$SHELL` is not a shell devenv can start in an environment: why bash runs instead.
    public let fallbackNote: String?

    public init(environment: [String: String]) {
        let requested = environment["SHELL"].flatMap { $0.isEmpty ? nil : $0 }
        let name = requested.map { URL(fileURLWithPath: $0).lastPathComponent }
        if let requested, let name, ["bash", "zsh", "fish"].contains(name) {
            program = requested
            fallbackNote = nil
        } else {
            program = "/bin/bash"
            fallbackNote = requested.map {
                "$SHELL is \($0), which devenv cannot start in an environment; starting bash"
            }
        }
    }

    /// Replaces this process by the shell. The startup files it needs are written under
    /// `$DEVENV_HOME/shells` (`home`), named by their content: never inside a project, and never a
    /// file that another `develop` could be rewriting meanwhile.
    public func exec(
        environment: [String: String], pathPrefix: [String], aliases: [(name: String, value: String)], home: String
    ) throws -> Never {
        let directory = home + "/shells"
        let prefix = pathPrefix.joined(separator: ":")
        var environment = environment
        Self.prune(directory)
        switch URL(fileURLWithPath: program).lastPathComponent {
        case "zsh":
            let original = environment["ZDOTDIR"] ?? environment["HOME"] ?? ""
            let rc = startupFile(
                """
                ZDOTDIR=\(ExportScript.quoted(original, for: .zsh))
                [ -f "$ZDOTDIR/.zshrc" ] && . "$ZDOTDIR/.zshrc"
                export PATH=\(ExportScript.quoted(prefix, for: .zsh)):"$PATH"

                """, aliases: aliases, dialect: .zsh)
            let zdotdir = directory + "/" + Self.name(of: rc)
            try Self.write(rc, to: zdotdir + "/.zshrc", directory: zdotdir)
            environment["ZDOTDIR"] = zdotdir
            try Subprocess.exec(program, ["-i"], environment: environment)
        case "fish":
            let commands = startupFile(
                "set -gx PATH \(ExportScript.quoted(prefix, for: .fish)) $PATH\n", aliases: aliases, dialect: .fish)
            try Subprocess.exec(program, ["--init-command", commands], environment: environment)
        default:
            let rc = startupFile(
                """
                [ -f ~/.bashrc ] && . ~/.bashrc
                export PATH=\(ExportScript.quoted(prefix, for: .bash)):"$PATH"

                """, aliases: aliases, dialect: .bash)
            let file = directory + "/" + Self.name(of: rc) + ".bashrc"
            try Self.write(rc, to: file, directory: directory)
            try Subprocess.exec(program, ["--rcfile", file, "-i"], environment: environment)
        }
    }

    /// `start` followed by one alias definition per line (names are checked when the manifest is read).
    private func startupFile(_ start: String, aliases: [(name: String, value: String)], dialect: ExportScript.Dialect)
        -> String
    {
        start
            + aliases.map {
                dialect == .fish
                    ? "alias \($0.name) \(ExportScript.quoted($0.value, for: dialect))\n"
                    : "alias \($0.name)=\(ExportScript.quoted($0.value, for: dialect))\n"
            }.joined()
    }

    private static func name(of text: String) -> String {
        String(Hasher.hash(.sha256, Array(text.utf8)).base16.prefix(32))
    }

    private static func write(_ text: String, to path: String, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard !FileManager.default.fileExists(atPath: path) else { return }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Removes what was written more than 30 days ago (a shell reads its files when it starts, and
    /// one still needed is written again after this), so the directory does not grow for ever.
    private static func prune(_ directory: String) {
        let limit = Date().addingTimeInterval(-30 * 86_400)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = directory + "/" + name
            if let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                date < limit
            {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }
}
