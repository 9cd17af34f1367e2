/// What may reach shell code, and how: variable and alias names are written into the code that
/// bash, zsh and fish evaluate when an environment loads, so only names that are plain words in
/// all three are accepted anywhere they come from (manifests, recipes, locks); values go through
/// the one quoting routine of each dialect.
public enum ShellSyntax {
    /// A variable name every shell accepts: a letter or `_`, then letters, digits and `_`, and
    /// not one that bash, zsh or fish keep for themselves.
    public static func isVariable(_ name: some StringProtocol) -> Bool {
        guard let first = name.utf8.first, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
            && !reserved.contains(String(name))
    }

    /// Read-only, special or tied to something else in one of the shells (zsh's `status` is
    /// read-only and `path` is PATH as an array; setting `UID` or `USERNAME` in zsh tries to
    /// change the user).
    static let reserved: Set<String> = [
        "_", "argv", "ARGC", "BASH", "BASH_ARGC", "BASH_ARGV", "BASH_COMMAND", "BASH_LINENO", "BASH_SOURCE",
        "BASH_SUBSHELL", "BASH_VERSINFO", "BASH_VERSION", "BASHOPTS", "BASHPID", "cdpath", "CMD_DURATION",
        "COLUMNS", "DIRSTACK",
        "EGID", "EPOCHREALTIME", "EPOCHSECONDS", "ERRNO", "EUID", "fignore", "fish_pid", "FISH_VERSION", "fpath",
        "FUNCNAME", "GID", "GROUPS", "HISTCMD", "history", "hostname", "IFS", "LINENO", "LINES", "mailpath",
        "manpath", "module_path", "OLDPWD", "path", "pipestatus", "PIPESTATUS", "PPID", "psvar", "PWD", "RANDOM",
        "SECONDS", "SHELLOPTS", "SHLVL", "SRANDOM", "status", "TTYIDLE", "UID", "umask", "USERNAME", "version",
        "ZSH_SUBSHELL",
    ]

    /// An alias name every shell accepts as a command word: letters, digits, `_`, `-`, `.` and
    /// `+`, starting with a letter, digit or `_`.
    public static func isAlias(_ name: some StringProtocol) -> Bool {
        guard let first = name.utf8.first, isLetter(first) || isDigit(first) || first == UInt8(ascii: "_") else {
            return false
        }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) || "_-.+".utf8.contains($0) }
    }

    public static let variableRule =
        "a variable name (letters, digits and _, not starting with a digit, and none that bash, zsh or fish keep for themselves)"
    public static let aliasRule = "an alias name (letters, digits, _, -, . and +, not starting with - . or +)"

    /// 'text' for bash, zsh and sh: a quote inside becomes '\''.
    public static func posixQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// 'text' for fish, where only \ and ' are escaped inside single quotes.
    public static func fishQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
