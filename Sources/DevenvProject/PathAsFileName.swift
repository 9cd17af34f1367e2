/// An absolute path as one file name, reversibly: `%` becomes `%25`, then `/` becomes `%2F` (as in
/// a URL). The hook scripts compute the same with builtins; per-project state under
/// `$DEVENV_HOME` is named so.
public enum PathAsFileName {
    public static func encode(_ path: String) -> String {
        path.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }

    /// The path a file name stands for; nil for a name `encode` does not make.
    public static func decode(_ name: String) -> String? {
        guard name.hasPrefix("%2F"), let path = name.removingPercentEncoding, encode(path) == name else { return nil }
        return path
    }
}
