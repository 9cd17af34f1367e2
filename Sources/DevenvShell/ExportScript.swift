import DevenvBasics
import DevenvPackages

/// Shell code that moves a shell from one set of variables to another: `export`/`unset` for bash
/// and zsh, `set -gx`/`set -e` for fish. Values are quoted so any bytes survive; names that are
/// not plain variable names (which only the caller's own environment can hold, such as bash's
/// exported functions) are left alone rather than written into code.
public enum ExportScript {
    public enum Dialect: String, CaseIterable, Sendable {
        case bash, zsh, fish
    }

    /// Statements setting what `target` adds or changes and unsetting what it removes, by name.
    public static func render(from current: [String: String], to target: [String: String], dialect: Dialect) -> String {
        var lines: [String] = []
        for (name, value) in target.sorted(by: { $0.key < $1.key })
        where current[name] != value && ShellSyntax.isVariable(name) {
            lines.append(
                dialect == .fish
                    ? "set -gx \(name) \(quoted(value, for: dialect))" : "export \(name)=\(quoted(value, for: dialect))"
            )
        }
        for name in current.keys.sorted() where target[name] == nil && ShellSyntax.isVariable(name) {
            lines.append(dialect == .fish ? "set -e \(name)" : "unset \(name)")
        }
        return lines.map { $0 + (dialect == .fish ? "\n" : ";\n") }.joined()
    }

    /// The quoting of `dialect`: the one routine every value written into shell code goes through.
    public static func quoted(_ text: String, for dialect: Dialect) -> String {
        dialect == .fish ? ShellSyntax.fishQuoted(text) : ShellSyntax.posixQuoted(text)
    }
}
