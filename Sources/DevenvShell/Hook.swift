import DevenvBasics
import DevenvBuild
import Foundation
import Glibc

/// Runs a manifest's `hook` (bash) in an environment and returns the environment it leaves: its
/// output goes to the terminal, and what it exports (like `export PATH=$GOPATH/bin:$PATH`) is kept.
/// Only what the hook itself changes is taken: bash's own doings (a non-interactive bash drops
/// `PS1` and `PS2`, sets `SHLVL`, `_`, ...) are compared away.
public enum Hook {
    /// What bash maintains itself and a hook's `cd` would change: never taken from the hook.
    static let ignored: Set<String> = ["_", "SHLVL", "PWD", "OLDPWD", "DEVENV_HOOK", "DEVENV_HOOK_RESULT"]

    public static func run(_ script: String, in environment: [String: String], directory: String) throws -> [String:
        String]
    {
        try run(script, in: environment, directory: directory, capturingOutput: false).environment
    }

    /// Runs the hook; with `capturingOutput` what it prints is returned instead of shown.
    public static func run(_ script: String, in environment: [String: String], directory: String, capturingOutput: Bool)
        throws -> (environment: [String: String], output: String)
    {
        // A directory of its own (mode 0700, a new name), so no file the hook's bash writes can
        // be a link someone else put in the temporary directory.
        var template = Array((FileManager.default.temporaryDirectory.path + "/devenv-hook-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ShellError("cannot create a directory for the hook: \(String(cString: strerror(errno)))")
        }
        let scratchDirectory = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: scratchDirectory) }
        let scratch = scratchDirectory + "/env"
        var withHook = environment
        withHook["DEVENV_HOOK"] = script
        withHook["DEVENV_HOOK_RESULT"] = scratch
        // The hook's output goes to stderr, so that `develop -c CMD` keeps stdout for CMD alone.
        let output = capturingOutput ? "> \"$2\" 2>&1" : ">&2"
        let command = """
            cd "$1" || exit 1
            env -0 > "$DEVENV_HOOK_RESULT.before"
            eval "$DEVENV_HOOK" \(output) || exit
            env -0 > "$DEVENV_HOOK_RESULT.after"
            """
        let status = try Subprocess.run(
            "/bin/bash", ["-c", command, "devenv-hook", directory, scratch + ".out"], environment: withHook, log: nil)
        let printed =
            FileManager.default.contents(atPath: scratch + ".out").map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard status == 0 else {
            throw ShellError(
                "the hook failed with exit status \(status)"
                    + (printed.isEmpty ? "" : ": \(printed.split(separator: "\n").last ?? "")"))
        }
        guard let before = variables(in: scratch + ".before"), let after = variables(in: scratch + ".after") else {
            throw ShellError("the hook left no environment")
        }
        var result = environment
        for (name, value) in after where before[name] != value && !ignored.contains(name) { result[name] = value }
        for name in before.keys where after[name] == nil && !ignored.contains(name) { result[name] = nil }
        return (result, printed)
    }

    /// The variables of an `env -0` listing.
    private static func variables(in file: String) -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        var variables: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return variables
    }
}

/// A failure while entering an environment.
public struct ShellError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
