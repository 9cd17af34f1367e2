/// The variables of an entered environment, composed in a documented order (docs/environment.md):
/// the base environment (only a minimal set with `pure`), PATH with the environment's directories
/// first, the packages' variables, `DEVENV_ROOT` and `DEVENV_SHELL`, then the manifest's `env`,
/// each value expanded against what came before it.
public struct ShellEnvironment: Sendable {
    /// Directories that go in front of PATH.
    public var path: [String]
    /// From the packages' recipes, in package order.
    public var packageVariables: [(name: String, value: String)]
    /// From the manifest, values not yet expanded.
    public var manifestVariables: [String: String]
    /// The project root (`DEVENV_ROOT`); nil for ad-hoc environments.
    public var root: String?
    public var shellName: String

    /// What `--pure` keeps of the caller's environment.
    public static let pureKeeps: Set<String> = [
        "HOME", "USER", "LOGNAME", "SHELL", "TERM", "COLORTERM", "LANG", "LANGUAGE", "TZ", "TMPDIR", "DISPLAY",
        "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "SSH_AUTH_SOCK",
    ]
    /// PATH after the environment's own directories under `--pure`: basic tools only.
    public static let purePath = "/usr/bin:/bin"

    public init(
        path: [String], packageVariables: [(name: String, value: String)], manifestVariables: [String: String],
        root: String?, shellName: String
    ) {
        self.path = path
        self.packageVariables = packageVariables
        self.manifestVariables = manifestVariables
        self.root = root
        self.shellName = shellName
    }

    /// The names this environment sets whatever the caller had (PATH aside).
    public var names: Set<String> {
        Set(
            packageVariables.map(\.name) + manifestVariables.keys + ["DEVENV_SHELL"]
                + (root == nil ? [] : ["DEVENV_ROOT"]))
    }

    public func variables(from base: [String: String], pure: Bool) -> [String: String] {
        var environment =
            pure ? base.filter { ShellEnvironment.pureKeeps.contains($0.key) || $0.key.hasPrefix("LC_") } : base
        let rest = pure ? ShellEnvironment.purePath : base["PATH"]
        environment["PATH"] = (path + [rest].compactMap { $0 }.filter { !$0.isEmpty }).joined(separator: ":")
        for (name, value) in packageVariables { environment[name] = value }
        if let root { environment["DEVENV_ROOT"] = root }
        environment["DEVENV_SHELL"] = shellName
        let before = environment
        for (name, value) in manifestVariables { environment[name] = VariableExpansion.expand(value, in: before) }
        return environment
    }
}
