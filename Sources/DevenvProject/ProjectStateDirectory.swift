import DevenvBasics

/// A project's `.devenv`, where devenv keeps its state: it holds a `.gitignore` of `*`, so git
/// ignores it in any project, not only in those `devenv init` made.
public enum ProjectStateDirectory {
    /// Makes `path` (a project's `.devenv`) when missing, and its `.gitignore` when that is
    /// missing; a link at either is refused or left alone, never followed.
    public static func prepare(_ path: String) throws {
        try OwnFiles.directory(path)
        try OwnFiles.create(path + "/.gitignore", with: Array("*\n".utf8))
    }
}
