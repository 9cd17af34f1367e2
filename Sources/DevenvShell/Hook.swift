import DevenvBuild
import Foundation

/// Runs a manifest's `hook` (bash) in an environment and returns the environment it leaves: its
/// output goes to the terminal, and what it exports (like `export PATH=$GOPATH/bin:$PATH`) is kept.
public enum Hook {
    /// Variables bash manages itself, which a hook's result does not carry over.
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
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "devenv-hook-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        defer {
            try? FileManager.default.removeItem(atPath: scratch + ".env")
            try? FileManager.default.removeItem(atPath: scratch + ".out")
        }
        var withHook = environment
        withHook["DEVENV_HOOK"] = script
        withHook["DEVENV_HOOK_RESULT"] = scratch + ".env"
        // The hook's output goes to stderr, so that `develop -c CMD` keeps stdout for CMD alone.
        let output = capturingOutput ? "> \"$2\" 2>&1" : ">&2"
        let command = "cd \"$1\" || exit 1\neval \"$DEVENV_HOOK\" \(output) || exit\nenv -0 > \"$DEVENV_HOOK_RESULT\""
        let status = try Subprocess.run(
            "/bin/bash", ["-c", command, "devenv-hook", directory, scratch + ".out"], environment: withHook, log: nil)
        let printed =
            FileManager.default.contents(atPath: scratch + ".out").map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard status == 0 else {
            throw ShellError(
                "the hook failed with exit status \(status)"
                    + (printed.isEmpty ? "" : ": \(printed.split(separator: "\n").last ?? "")"))
        }
        guard let data = FileManager.default.contents(atPath: scratch + ".env") else {
            throw ShellError("the hook left no environment")
        }
        var after: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "="), !ignored.contains(String(text[..<equals])) else { continue }
            after[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        for name in ignored where environment[name] != nil { after[name] = environment[name] }
        return (after, printed)
    }
}

/// A failure while entering an environment.
public struct ShellError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
