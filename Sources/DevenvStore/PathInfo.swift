import Foundation

/// What the database records about a valid store path.
public struct PathInfo: Equatable, Sendable {
    public var path: StorePath
    /// SHA-256 of the path's NAR.
    public var narHash: Hash
    public var narSize: UInt64
    /// Store paths this one mentions (possibly itself), sorted.
    public var references: [StorePath]
    /// Seconds since the epoch at which the path became valid.
    public var registrationTime: Int64
    /// The derivation that produced the path, if it was built.
    public var deriver: StorePath?
    /// How the path's name was derived from its content, if it is content-addressed.
    public var contentAddress: ContentAddress?
    /// Signatures a binary cache gave it (`NAME:BASE64`), kept so it can be pushed on with them.
    public var signatures: [String]

    public init(
        path: StorePath, narHash: Hash, narSize: UInt64, references: [StorePath] = [],
        registrationTime: Int64 = Int64(Date().timeIntervalSince1970), deriver: StorePath? = nil,
        contentAddress: ContentAddress? = nil, signatures: [String] = []
    ) {
        self.path = path
        self.narHash = narHash
        self.narSize = narSize
        self.references = references.sorted()
        self.registrationTime = registrationTime
        self.deriver = deriver
        self.contentAddress = contentAddress
        self.signatures = signatures
    }
}
