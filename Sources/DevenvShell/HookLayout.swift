import DevenvProject
import DevenvStore

/// Where the shell hooks keep their state under `$DEVENV_HOME/hooks` (never inside a project,
/// where a cloned repository could plant one):
///
///     env/<root as a file name>.<bash|zsh|fish>   cached load code of an allowed, realized project
///     env/<…>.failed                              why the last background realization failed
///     env/<…>.log                                 what the last background realization printed
///     env/<…>.realizing                           locked while a background realization runs
///     allowed/<root as a file name>               the manifest+lock hash allowed for a directory
///     allowed/<…>.toml, allowed/<…>.lock          the manifest and the lock's pins as allowed (to name edits)
///     allowed-repos/<git dir as a file name>      hashes allowed for every worktree of a repository
///     allow.stamp                                 touched by allow and deny, so hooks look again
///     stamps/<pid>                                the environment each shell has loaded
///     stamps/<pid>.seen                           when each shell last looked (its modification time)
public struct HookLayout: Sendable {
    public let directory: String

    public init(home: String) { directory = home + "/hooks" }

    public func cache(root: String, dialect: ExportScript.Dialect) -> String {
        "\(directory)/env/\(PathAsFileName.encode(root)).\(dialect.rawValue)"
    }

    public func failure(root: String) -> String { "\(directory)/env/\(PathAsFileName.encode(root)).failed" }
    public func log(root: String) -> String { "\(directory)/env/\(PathAsFileName.encode(root)).log" }
    public func allowed(root: String) -> String { "\(directory)/allowed/\(PathAsFileName.encode(root))" }
    public func allowedRepository(_ gitDirectory: String) -> String {
        "\(directory)/allowed-repos/\(PathAsFileName.encode(gitDirectory))"
    }
    public var allowStamp: String { directory + "/allow.stamp" }
    public var stamps: String { directory + "/stamps" }
    /// Held (flock) by the background realization of a project while it runs.
    public func realizing(root: String) -> String { "\(directory)/env/\(PathAsFileName.encode(root)).realizing" }
}
