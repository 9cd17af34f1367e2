/// Something that keeps a store path (and its closure) alive.
public struct StoreRoot: Hashable, Sendable {
    public var path: StorePath
    /// `explicit` (store add-root), `generation`, `profile`, or for roots found at collection
    /// time `process` and `shell`.
    public var kind: String
    /// Whose root it is: a project directory, a profile, a process id.
    public var owner: String
    public var created: Int64

    public init(path: StorePath, kind: String, owner: String, created: Int64) {
        self.path = path
        self.kind = kind
        self.owner = owner
        self.created = created
    }
}
