/// What keeps a store root: recorded ones live in the database, the others are found at
/// collection time. The raw value is what the database and `gc --roots` say.
public enum RootKind: String, Sendable, CaseIterable {
    /// `devenv store add-root`.
    case explicit
    /// A project's or the profile's generation (owner `<root>#<number>`).
    case generation
    /// A running devenv process, or what it exec'd (owner: its pid).
    case process
    /// A shell whose hook loaded an environment (owner: its pid).
    case shell
}

/// Something that keeps a store path (and its closure) alive.
public struct StoreRoot: Hashable, Sendable {
    public var path: StorePath
    public var kind: RootKind
    /// Whose root it is: a project directory, a profile, a process id.
    public var owner: String
    public var created: Int64

    public init(path: StorePath, kind: RootKind, owner: String, created: Int64) {
        self.path = path
        self.kind = kind
        self.owner = owner
        self.created = created
    }
}
