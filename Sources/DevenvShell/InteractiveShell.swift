import DevenvBuild
import Foundation

/// Starts the user's shell (bash, zsh or fish, from `$SHELL`) inside an environment. The shell
/// reads the user's own startup files first; then the environment's PATH directories are put back
/// in front, since startup files often reset PATH.
public enum InteractiveShell {
    public static func exec(environment: [String: String], pathPrefix: [String], stateDirectory: String) throws -> Never
    {
        let shell = environment["SHELL"].flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/bash"
        let name = URL(fileURLWithPath: shell).lastPathComponent
        let prefix = pathPrefix.joined(separator: ":")
        var environment = environment
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        switch name {
        case "zsh":
            let directory = stateDirectory + "/zsh"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let original = environment["ZDOTDIR"] ?? environment["HOME"] ?? ""
            try """
            ZDOTDIR=\(quoted(original))
            [ -f "$ZDOTDIR/.zshrc" ] && . "$ZDOTDIR/.zshrc"
            export PATH=\(quoted(prefix)):"$PATH"

            """.write(toFile: directory + "/.zshrc", atomically: true, encoding: .utf8)
            environment["ZDOTDIR"] = directory
            try Subprocess.exec(shell, ["-i"], environment: environment)
        case "fish":
            try Subprocess.exec(
                shell, ["--init-command", "set -gx PATH \(quoted(prefix)) $PATH"], environment: environment)
        default:
            let rc = stateDirectory + "/bashrc"
            try """
            [ -f ~/.bashrc ] && . ~/.bashrc
            export PATH=\(quoted(prefix)):"$PATH"

            """.write(toFile: rc, atomically: true, encoding: .utf8)
            try Subprocess.exec(shell, ["--rcfile", rc, "-i"], environment: environment)
        }
    }

    /// `text` in single quotes for POSIX shells and fish.
    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
