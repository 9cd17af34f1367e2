/// The digest algorithms Nix accepts wherever a hash is written down.
public enum HashAlgorithm: String, CaseIterable, Sendable {
    case md5
    case sha1
    case sha256
    case sha512

    /// Length of the digest in bytes.
    public var digestSize: Int {
        switch self {
        case .md5: 16
        case .sha1: 20
        case .sha256: 32
        case .sha512: 64
        }
    }
}
