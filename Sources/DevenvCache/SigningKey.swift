import Crypto
import Foundation

/// A key that signs what is pushed to a binary cache, in Nix's format: `NAME:BASE64` of 64 bytes,
/// libsodium's secret key (the 32-byte seed, then the 32-byte public key).
public struct SigningKey: Sendable {
    public let name: String
    /// The 32-byte seed (the key is made from it where it is used: Crypto's keys are not Sendable).
    private let seed: [UInt8]
    private var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: seed) }

    /// A new key named `name`.
    public static func generate(name: String) throws -> SigningKey {
        try TrustedKey.checkName(name)
        return SigningKey(name: name, key: Curve25519.Signing.PrivateKey())
    }

    private init(name: String, key: Curve25519.Signing.PrivateKey) {
        self.name = name
        self.seed = Array(key.rawRepresentation)
    }

    /// A secret key file's text (surrounding whitespace ignored); its public half must match its seed.
    public init(parsing text: String) throws {
        let (name, bytes) = try TrustedKey.split(text, what: "secret key")
        guard bytes.count == 64 else {
            throw CacheError("the secret key '\(name)' is not 64 bytes (\(bytes.count))")
        }
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: bytes[..<32])
        guard Array(key.publicKey.rawRepresentation) == Array(bytes[32...]) else {
            throw CacheError("the secret key '\(name)' does not hold its own public key")
        }
        self.init(name: name, key: key)
    }

    /// `NAME:BASE64`, as `nix-store --generate-binary-cache-key` writes it (no newline).
    public var text: String {
        name + ":" + Data(key.rawRepresentation + key.publicKey.rawRepresentation).base64EncodedString()
    }

    public var publicKey: TrustedKey { TrustedKey(name: name, bytes: Array(key.publicKey.rawRepresentation)) }

    /// A `Sig` value for `fingerprint`: `NAME:BASE64` of the Ed25519 signature (deterministic, so
    /// signing again gives the same bytes).
    public func sign(_ fingerprint: String) throws -> String {
        name + ":" + (try key.signature(for: Data(fingerprint.utf8))).base64EncodedString()
    }
}

/// A public key a binary cache's signatures are checked against (`trusted-public-keys`):
/// `NAME:BASE64` of 32 bytes.
public struct TrustedKey: Sendable, Equatable {
    public let name: String
    let bytes: [UInt8]

    init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    public init(parsing text: String) throws {
        let (name, bytes) = try TrustedKey.split(text, what: "public key")
        guard bytes.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)) != nil else {
            throw CacheError("the public key '\(name)' is not 32 bytes of an Ed25519 key")
        }
        self.init(name: name, bytes: bytes)
    }

    public var text: String { name + ":" + Data(bytes).base64EncodedString() }

    /// Whether `signature` (a `Sig` value, `NAME:BASE64`) is this key's over `fingerprint`: the
    /// names must match, as Nix matches them.
    public func verifies(_ signature: String, of fingerprint: String) -> Bool {
        guard let colon = signature.firstIndex(of: ":"), signature[..<colon] == name,
            let bytes = Data(base64Encoded: String(signature[signature.index(after: colon)...])), bytes.count == 64
        else { return false }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: self.bytes) else { return false }
        return key.isValidSignature(bytes, for: Data(fingerprint.utf8))
    }

    /// A key's name: not empty, no `:` or whitespace (it prefixes every signature).
    static func checkName(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= 128,
            name.unicodeScalars.allSatisfy({
                $0.isASCII && $0.value > 0x20 && $0 != ":" && $0 != "/" && $0.value != 0x7F
            })
        else { throw CacheError("'\(name)' is not a key name (printable ASCII without spaces, ':' or '/')") }
    }

    /// `NAME:BASE64` → the name and the decoded bytes.
    static func split(_ text: String, what: String) throws -> (String, [UInt8]) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let colon = trimmed.firstIndex(of: ":") else { throw CacheError("a \(what) is NAME:BASE64") }
        let name = String(trimmed[..<colon])
        try checkName(name)
        guard let bytes = Data(base64Encoded: String(trimmed[trimmed.index(after: colon)...])) else {
            throw CacheError("the \(what) '\(name)' is not base64")
        }
        return (name, Array(bytes))
    }
}
