/// The directory a store lives in, and the computation of store path names for it: every hash
/// part depends on this directory (docs/nix-formats.md §3).
public struct StoreDirectory: Hashable, Sendable {
    /// Absolute, without a trailing slash (`/nix/store`).
    public let path: String

    public init(_ path: String) {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.path = path
    }

    public func fullPath(of storePath: StorePath) -> String { "\(path)/\(storePath.baseName)" }

    /// Parses a full path naming an entry directly inside this store.
    public func storePath(parsing fullPath: String) throws -> StorePath {
        let prefix = path + "/"
        guard fullPath.hasPrefix(prefix) else {
            throw StoreError("'\(fullPath)' is not in the store \(path)")
        }
        let base = fullPath.dropFirst(prefix.count)
        guard !base.contains("/") else {
            throw StoreError("'\(fullPath)' is inside a store path, not a store path itself")
        }
        return try StorePath(baseName: base)
    }

    /// `nix32(xorFold20(sha256("<type>:sha256:<hex inner>:<store>:<name>")))`.
    public func makeStorePath(type: String, inner: Hash, name: String) throws -> StorePath {
        precondition(inner.algorithm == .sha256)
        let fingerprint = "\(type):sha256:\(inner.base16):\(path):\(name)"
        let digest = Hasher.hash(.sha256, Array(fingerprint.utf8)).bytes
        var folded = [UInt8](repeating: 0, count: 20)
        for (i, byte) in digest.enumerated() { folded[i % 20] ^= byte }
        return try StorePath(hashPart: Nix32.encode(folded), name: name)
    }

    /// The path of a content-addressed object: `source:` for NAR-hashed SHA-256 (with its
    /// references and `:self`), `text:` for text files, `output:out` for every other case.
    public func path(
        for contentAddress: ContentAddress, name: String, references: [StorePath] = [], selfReference: Bool = false
    ) throws -> StorePath {
        let refs = references.map { ":" + fullPath(of: $0) }.sorted().joined()
        switch contentAddress {
        case .text(let hash):
            return try makeStorePath(type: "text" + refs, inner: hash, name: name)
        case .fixed(true, let hash) where hash.algorithm == .sha256:
            return try makeStorePath(type: "source" + refs + (selfReference ? ":self" : ""), inner: hash, name: name)
        case .fixed(let recursive, let hash):
            let inner = "fixed:out:\(recursive ? "r:" : "")\(hash.algorithm.rawValue):\(hash.base16):"
            return try makeStorePath(type: "output:out", inner: Hasher.hash(.sha256, Array(inner.utf8)), name: name)
        }
    }

    /// The output path of an input-addressed derivation, from the hash of its canonical form.
    public func outputPath(derivationHash: Hash, output: String, derivationName: String) throws -> StorePath {
        let name = output == "out" ? derivationName : "\(derivationName)-\(output)"
        return try makeStorePath(type: "output:\(output)", inner: derivationHash, name: name)
    }
}
