/// A manifest written as devenv.toml (what `devenv init --from-nix` writes): its shells'
/// packages, variables, hooks and programs, its checks and scripts, and a `path:` package set as `pkgs`.
extension Manifest {
    public var tomlText: String {
        var lines: [String] = []
        if case .path(let directory)? = inputs[PackageRequest.defaultInput] {
            lines += ["[inputs]", "pkgs = \(Manifest.quoted("path:" + directory))", ""]
        }
        let others = shells.keys.filter { $0 != Manifest.defaultShell }.sorted()
        for name in [Manifest.defaultShell] + others where shells[name] != nil {
            let shell = shells[name]!
            lines.append(name == Manifest.defaultShell ? "[shell]" : "[shells.\(Manifest.key(name))]")
            lines.append(
                "packages = [" + shell.packages.map { Manifest.quoted($0.description) }.joined(separator: ", ") + "]")
            if !shell.env.isEmpty {
                let pairs = shell.env.sorted { $0.key < $1.key }.map {
                    "\(Manifest.key($0.key)) = \(Manifest.quoted($0.value))"
                }
                lines.append("env = { " + pairs.joined(separator: ", ") + " }")
            }
            if let hook = shell.hook { lines.append("hook = " + Manifest.multiline(hook)) }
            if !shell.programs.isEmpty {
                lines.append(
                    name == Manifest.defaultShell ? "[shell.programs]" : "[shells.\(Manifest.key(name)).programs]")
                for (program, text) in shell.programs.sorted(by: { $0.key < $1.key }) {
                    lines.append("\(Manifest.key(program)) = \(Manifest.multiline(text))")
                }
            }
            lines.append("")
        }
        if !checks.isEmpty {
            lines.append("[checks]")
            for (name, command) in checks { lines.append("\(Manifest.key(name)) = \(Manifest.multiline(command))") }
            lines.append("")
        }
        if !scripts.isEmpty {
            lines.append("[scripts]")
            for (name, command) in scripts.sorted(by: { $0.key < $1.key }) {
                lines.append("\(Manifest.key(name)) = \(Manifest.quoted(command))")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// A bare key when TOML allows one, else a quoted one.
    static func key(_ name: String) -> String {
        let bare =
            !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45
                    || byte == 95
            }
        return bare ? name : quoted(name)
    }

    /// A TOML basic string: backslash, quote and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += String(format: "\\u%04X", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Shell code as a multi-line literal string when it can be one (no `'''`, no control
    /// characters but newline and tab), else a basic string.
    static func multiline(_ text: String) -> String {
        let literal =
            text.contains("\n") && !text.contains("'''") && !text.hasSuffix("'")
            && text.unicodeScalars.allSatisfy { $0 == "\n" || $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) }
        return literal ? "'''\n" + text + "'''" : quoted(text)
    }
}
