import DevenvBasics
import DevenvPackages
import Foundation

/// What loading a project's environment does to a shell, and the code that does it: calls of the
/// functions the hook scripts define (`__devenv_begin`, `__devenv_set`, ...), which remember how to
/// undo each change. The same text is the project's cached environment; its first line says what it
/// was made from, so the hook can check it with builtins before sourcing it.
public struct LoadScript: Equatable, Sendable {
    public var root: String
    public var environmentPath: String
    public var contentHash: String
    /// Directories put in front of PATH (and removed again on unload, wherever they are then).
    public var pathPrefix: [String] = []
    public var set: [(name: String, value: String)] = []
    public var unset: [String] = []
    public var aliases: [(name: String, value: String)] = []
    /// Printed each time the environment loads (the manifest hook's output).
    public var messages: [String] = []

    public static func == (lhs: LoadScript, rhs: LoadScript) -> Bool {
        lhs.render(.bash, cache: "") == rhs.render(.bash, cache: "")
    }

    public static let formatVersion = 1

    /// The first line: `# devenv-cache FORMAT TOOL-VERSION CONTENT-HASH ENVIRONMENT-PATH`.
    public static func header(toolVersion: String, contentHash: String, environmentPath: String) -> String {
        "# devenv-cache \(formatVersion) \(toolVersion) \(contentHash) \(environmentPath)"
    }

    /// Whether a cached script (its text) was made in this format by this devenv for this content,
    /// and its environment still exists: what its header says, read back.
    public static func isFresh(_ text: String, toolVersion: String, contentHash: String) -> Bool {
        let header = text.prefix { $0 != "\n" }.split(separator: " ").map(String.init)
        return header.count == 6 && header[0] == "#" && header[1] == "devenv-cache"
            && header[2] == String(formatVersion) && header[3] == toolVersion && header[4] == contentHash
            && FileManager.default.fileExists(atPath: header[5])
    }

    /// The variables `after` sets, changes and removes compared with `before`, and those in
    /// `declared` even where `before` has the same value (the script is cached and loaded into
    /// shells whose values differ); PATH becomes a prefix when `after`'s PATH ends with `before`'s.
    public init(
        root: String, environmentPath: String, contentHash: String, before: [String: String], after: [String: String],
        declared: Set<String> = []
    ) {
        self.root = root
        self.environmentPath = environmentPath
        self.contentHash = contentHash
        // Only plain variable names are written into code (the caller's environment may hold
        // others, such as bash's exported functions, which are left alone).
        for (name, value) in after.sorted(by: { $0.key < $1.key })
        where ShellSyntax.isVariable(name) && (before[name] != value || (declared.contains(name) && name != "PATH")) {
            if name == "PATH", let base = before["PATH"], value.hasSuffix(":" + base) {
                pathPrefix = value.dropLast(base.count + 1).split(separator: ":").map(String.init)
            } else {
                set.append((name, value))
            }
        }
        unset = before.keys.filter { after[$0] == nil && ShellSyntax.isVariable($0) }.sorted()
    }

    public func render(_ dialect: ExportScript.Dialect, cache: String, toolVersion: String = "") -> String {
        let quote = { ExportScript.quoted($0, for: dialect) }
        let header = LoadScript.header(
            toolVersion: toolVersion, contentHash: contentHash, environmentPath: environmentPath)
        // The hook keeps the header of what it loaded, to skip loading the same again.
        var lines = [
            header, "__devenv_begin \(quote(root)) \(quote(cache)) \(quote(environmentPath)) \(quote(header))",
        ]
        if !pathPrefix.isEmpty { lines.append("__devenv_prepend_path \(quote(pathPrefix.joined(separator: ":")))") }
        lines += set.map { "__devenv_set \($0.name) \(quote($0.value))" }
        lines += unset.map { "__devenv_unset \($0)" }
        lines += aliases.map { "__devenv_alias \($0.name) \(quote($0.value))" }
        lines.append("__devenv_end")
        lines += messages.map { "__devenv_say \(quote($0))" }
        return lines.joined(separator: "\n") + "\n"
    }
}
