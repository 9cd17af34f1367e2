import Crypto
import Foundation

/// An incremental digest computation for any `HashAlgorithm`.
public struct Hasher {
    public let algorithm: HashAlgorithm
    // One optional per algorithm rather than an enum with payloads: mutating through `x!` updates
    // in place, where re-wrapping an enum payload would copy swift-crypto's context on every call.
    private var md5: Insecure.MD5?
    private var sha1: Insecure.SHA1?
    private var sha256: SHA256?
    private var sha512: SHA512?

    public init(_ algorithm: HashAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .md5: md5 = Insecure.MD5()
        case .sha1: sha1 = Insecure.SHA1()
        case .sha256: sha256 = SHA256()
        case .sha512: sha512 = SHA512()
        }
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        switch algorithm {
        case .md5: md5!.update(bufferPointer: buffer)
        case .sha1: sha1!.update(bufferPointer: buffer)
        case .sha256: sha256!.update(bufferPointer: buffer)
        case .sha512: sha512!.update(bufferPointer: buffer)
        }
    }

    public mutating func update(_ bytes: some ContiguousBytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    public func finalize() -> Hash {
        let digest: [UInt8] =
            switch algorithm {
            case .md5: Array(md5!.finalize())
            case .sha1: Array(sha1!.finalize())
            case .sha256: Array(sha256!.finalize())
            case .sha512: Array(sha512!.finalize())
            }
        return Hash(algorithm: algorithm, bytes: digest)
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ algorithm: HashAlgorithm, _ bytes: some ContiguousBytes) -> Hash {
        var hasher = Hasher(algorithm)
        hasher.update(bytes)
        return hasher.finalize()
    }
}
