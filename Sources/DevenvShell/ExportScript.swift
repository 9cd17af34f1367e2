/// Shell code that moves a shell from one set of variables to another: `export`/`unset` for bash
/// and zsh, `set -gx`/`set -e` for fish. Values are quoted so any bytes survive.
public enum ExportScript {
    public enum Dialect: String, CaseIterable, Sendable {
        case bash, zsh, fish
    }

    /// Statements setting what `target` adds or changes and unsetting what it removes, by name.
    public static func render(from current: [String: String], to target: [String: String], dialect: Dialect) -> String {
        var lines: [String] = []
        for (name, value) in target.sorted(by: { $0.key < $1.key }) where current[name] != value {
            lines.append(
                dialect == .fish ? "set -gx \(name) \(fishQuoted(value))" : "export \(name)=\(posixQuoted(value))")
        }
        for name in current.keys.sorted() where target[name] == nil {
            lines.append(dialect == .fish ? "set -e \(name)" : "unset \(name)")
        }
        return lines.map { $0 + (dialect == .fish ? "\n" : ";\n") }.joined()
    }

    /// 'text' for POSIX shells: a quote inside becomes '\''.
    public static func posixQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// 'text' for fish, where only \ and ' are escaped inside single quotes.
    public static func fishQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
