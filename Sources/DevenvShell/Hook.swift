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
        let result = FileManager.default.temporaryDirectory.appendingPathComponent(
            "devenv-hook-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        defer { try? FileManager.default.removeItem(atPath: result) }
        var withHook = environment
        withHook["DEVENV_HOOK"] = script
        withHook["DEVENV_HOOK_RESULT"] = result
        // The hook's output goes to stderr, so that `develop -c CMD` keeps stdout for CMD alone.
        let command = "cd \"$1\" || exit 1\neval \"$DEVENV_HOOK\" >&2 || exit\nenv -0 > \"$DEVENV_HOOK_RESULT\""
        let status = try Subprocess.run(
            "/bin/bash", ["-c", command, "devenv-hook", directory], environment: withHook, log: nil)
        guard status == 0 else { throw ShellError("the hook failed with exit status \(status)") }
        guard let data = FileManager.default.contents(atPath: result) else {
            throw ShellError("the hook left no environment")
        }
        var after: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "="), !ignored.contains(String(text[..<equals])) else { continue }
            after[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        for name in ignored where environment[name] != nil { after[name] = environment[name] }
        return after
    }
}

/// A failure while entering an environment.
public struct ShellError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
