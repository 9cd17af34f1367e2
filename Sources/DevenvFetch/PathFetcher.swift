import DevenvStore

/// A local directory taken into the store as Nix takes a `path:` input: NAR-hashed, named
/// `source`, and with `expected`, checked against a pinned NAR hash.
public struct PathFetcher: Sendable {
    let store: Store

    public init(store: Store) { self.store = store }

    public func fetch(_ directory: String, expectedNarHash: Hash? = nil) throws -> (path: StorePath, narHash: Hash) {
        let path = try store.add(directory, name: "source", expected: expectedNarHash)
        return (path, try store.validPathInfo(path).narHash)
    }
}
