/// How a content-addressed store object was hashed to get its path, written as in
/// path-info `ca` and `.narinfo` `CA:` (`fixed:r:sha256:<nix32>`, `text:sha256:<nix32>`).
public enum ContentAddress: Hashable, Sendable, CustomStringConvertible {
    /// Ingested as a file's bytes (`flat`) or as the NAR of a tree (`recursive`).
    case fixed(recursive: Bool, hash: Hash)
    /// A text file such as a `.drv`, hashed with SHA-256 over its bytes.
    case text(hash: Hash)

    public var description: String {
        switch self {
        case .fixed(let recursive, let hash):
            "fixed:\(recursive ? "r:" : "")\(hash.formatted(.nix32, prefixed: true))"
        case .text(let hash):
            "text:\(hash.formatted(.nix32, prefixed: true))"
        }
    }

    public init(parsing text: String) throws {
        if text.hasPrefix("text:") {
            let hash = try Hash(parsing: String(text.dropFirst(5)))
            // As Nix has it: text is addressed by its SHA-256 alone.
            guard hash.algorithm == .sha256 else {
                throw StoreError("'\(text)' is not a content address: text is addressed by SHA-256")
            }
            self = .text(hash: hash)
        } else if text.hasPrefix("fixed:r:") {
            self = .fixed(recursive: true, hash: try Hash(parsing: String(text.dropFirst(8))))
        } else if text.hasPrefix("fixed:") {
            self = .fixed(recursive: false, hash: try Hash(parsing: String(text.dropFirst(6))))
        } else {
            throw StoreError("'\(text)' is not a content address (fixed:… or text:…)")
        }
    }
}
