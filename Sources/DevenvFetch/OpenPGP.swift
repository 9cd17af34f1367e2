import Crypto
import DevenvStore
import Foundation
import _CryptoExtras

/// The part of OpenPGP (RFC 4880, RFC 9580) that checks a clearsigned file against known public
/// keys, as apt's `gpgv` does for a Debian suite's `InRelease`: version 4 keys and signatures,
/// RSA (PKCS#1 v1.5) and Ed25519, SHA-256 and SHA-512. One good signature by a trusted, unexpired
/// key is enough; anything malformed is an error, never a pass.
public enum OpenPGP {
    /// A public key (or subkey) that may sign.
    public struct PublicKey: Sendable {
        /// 40 hex digits, upper case, as gpg prints it.
        public let fingerprint: String
        public let created: Date
        /// When it stops being valid (from its self-signature), if ever.
        public var expires: Date?
        let material: Material

        enum Material: Sendable {
            case rsa(n: [UInt8], e: [UInt8])
            case ed25519([UInt8])
        }

        /// The low 8 bytes of the fingerprint, which signatures name their key by.
        public var keyID: String { String(fingerprint.suffix(16)) }
    }

    /// What a good signature says.
    public struct Verified: Sendable {
        /// The signed text, dash-unescaped.
        public let text: String
        public let signer: PublicKey
        public let created: Date
    }

    /// The keys (primary keys and subkeys) of a keyring: binary packets, or ASCII armor.
    public static func keys(in data: [UInt8]) throws -> [PublicKey] {
        let bytes = try isArmored(data) ? dearmor(String(decoding: data, as: UTF8.self)) : data
        var keys: [PublicKey] = []
        var last: Int?
        for packet in try packets(bytes) {
            switch packet.tag {
            case 6, 14:
                keys.append(try publicKey(packet.body))
                last = keys.count - 1
            case 2:
                // A self-signature or binding signature may set when the key expires.
                if let last, let signature = try? Signature(packet.body), let seconds = signature.keyExpiration,
                    seconds > 0
                {
                    keys[last].expires = keys[last].created.addingTimeInterval(TimeInterval(seconds))
                }
            default: continue
            }
        }
        return keys
    }

    /// Checks the clearsigned `message` against `keys` at `now`: the signed text when at least
    /// one signature is good and made by one of them, unexpired; else an error saying why.
    public static func verifyClearsigned(_ message: String, keys: [PublicKey], now: Date = Date()) throws -> Verified {
        let (text, signatureBlock) = try splitClearsigned(message)
        // The signed bytes: lines without trailing spaces or tabs, joined by CR LF, no final line end.
        let canonical = Array(
            text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.prefix(line.count - line.reversed().prefix { " \t\r".contains($0) }.count)
            }.joined(separator: "\r\n").utf8)
        var reasons: [String] = []
        for packet in try packets(dearmor(signatureBlock)) where packet.tag == 2 {
            let signature: Signature
            do {
                signature = try Signature(packet.body)
            } catch {
                reasons.append("\(error)")
                continue
            }
            guard let key = keys.first(where: { signature.names($0) }) else {
                reasons.append("a signature by \(signature.issuerDescription), which is not a trusted key")
                continue
            }
            if let expires = key.expires, expires < now {
                reasons.append("a signature by \(key.fingerprint), a key that expired on \(expires)")
                continue
            }
            if let expires = signature.expiration, expires < now {
                reasons.append("a signature by \(key.fingerprint) that expired on \(expires)")
                continue
            }
            guard signature.type == 0x01 else {
                reasons.append("a signature of type \(signature.type), not of a text")
                continue
            }
            if signature.verifies(canonical, with: key) {
                return Verified(text: text, signer: key, created: signature.created)
            }
            reasons.append("a signature by \(key.fingerprint) that does not match the text")
        }
        throw FetchError(
            "no good signature by a trusted key: "
                + (reasons.isEmpty ? "there is no signature" : reasons.joined(separator: "; ")))
    }

    // MARK: Clearsigned messages and armor

    static func isArmored(_ data: [UInt8]) -> Bool { data.starts(with: Array("-----BEGIN PGP".utf8)) }

    /// The text and the armored signature of a clearsigned message.
    static func splitClearsigned(_ message: String) throws -> (text: String, signature: String) {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        guard let begin = lines.firstIndex(of: "-----BEGIN PGP SIGNED MESSAGE-----") else {
            throw FetchError("not a clearsigned message")
        }
        // Armor headers (`Hash: SHA512`) up to the first empty line.
        guard let blank = lines[(begin + 1)...].firstIndex(where: \.isEmpty),
            let signature = lines[(blank + 1)...].firstIndex(of: "-----BEGIN PGP SIGNATURE-----")
        else { throw FetchError("a clearsigned message without its signature") }
        guard lines[..<begin].allSatisfy(\.isEmpty) else { throw FetchError("text before a clearsigned message") }
        let text = lines[(blank + 1)..<signature].map { $0.hasPrefix("- ") ? $0.dropFirst(2) : $0 }
            .joined(separator: "\n")
        return (text, lines[signature...].joined(separator: "\n"))
    }

    /// The bytes of an ASCII-armored block, its CRC-24 checked when present.
    static func dearmor(_ text: String) throws -> [UInt8] {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN PGP") }),
            let end = lines.firstIndex(where: { $0.hasPrefix("-----END PGP") }), end > begin
        else { throw FetchError("no ASCII-armored block") }
        var body = Array(lines[(begin + 1)..<end])
        // Armor headers end at the first empty line, when there are any.
        if let blank = body.firstIndex(where: \.isEmpty) { body.removeFirst(blank + 1) }
        var checksum: String?
        if let last = body.last, last.hasPrefix("=") {
            checksum = String(last.dropFirst())
            body.removeLast()
        }
        guard let data = Data(base64Encoded: body.joined()) else { throw FetchError("armor that is not base64") }
        let bytes = [UInt8](data)
        if let checksum {
            let crc = crc24(bytes)
            let expected = Data([UInt8(crc >> 16), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]).base64EncodedString()
            guard checksum == expected else { throw FetchError("armor whose checksum does not match") }
        }
        return bytes
    }

    static func crc24(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xB7_04CE
        for byte in bytes {
            crc ^= UInt32(byte) << 16
            for _ in 0..<8 {
                crc <<= 1
                if crc & 0x100_0000 != 0 { crc ^= 0x186_4CFB }
            }
        }
        return crc & 0xFF_FFFF
    }

    // MARK: Packets

    struct Packet {
        let tag: Int
        let body: ArraySlice<UInt8>
    }

    static func packets(_ bytes: [UInt8]) throws -> [Packet] {
        var packets: [Packet] = []
        var reader = Reader(bytes[...])
        while !reader.atEnd {
            let header = try reader.byte()
            guard header & 0x80 != 0 else { throw FetchError("not an OpenPGP packet") }
            let tag: Int
            let length: Int
            if header & 0x40 != 0 {
                tag = Int(header & 0x3F)
                let first = Int(try reader.byte())
                switch first {
                case 0..<192: length = first
                case 192..<224: length = ((first - 192) << 8) + Int(try reader.byte()) + 192
                case 255: length = Int(try reader.integer(4))
                default: throw FetchError("an OpenPGP packet of partial lengths")
                }
            } else {
                tag = Int((header >> 2) & 0x0F)
                switch header & 3 {
                case 0: length = Int(try reader.byte())
                case 1: length = Int(try reader.integer(2))
                case 2: length = Int(try reader.integer(4))
                default: length = reader.remaining
                }
            }
            packets.append(Packet(tag: tag, body: try reader.take(length)))
        }
        return packets
    }

    static func publicKey(_ body: ArraySlice<UInt8>) throws -> PublicKey {
        var reader = Reader(body)
        guard try reader.byte() == 4 else { throw FetchError("an OpenPGP key that is not version 4") }
        let created = Date(timeIntervalSince1970: TimeInterval(try reader.integer(4)))
        let material: PublicKey.Material
        switch try reader.byte() {
        case 1, 2, 3:
            material = .rsa(n: try reader.mpi(), e: try reader.mpi())
        case 22:
            let oid = try reader.take(Int(try reader.byte()))
            guard Array(oid) == [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01] else {
                throw FetchError("an EdDSA key on a curve other than Ed25519")
            }
            let point = try reader.mpi()
            guard point.count == 33, point[0] == 0x40 else { throw FetchError("a malformed Ed25519 key") }
            material = .ed25519(Array(point.dropFirst()))
        case 27:
            material = .ed25519(Array(try reader.take(32)))
        default:
            // Keys of other algorithms (ElGamal encryption subkeys, say) never sign here.
            material = .rsa(n: [], e: [])
        }
        var hasher = Insecure.SHA1()
        hasher.update(data: [0x99, UInt8(body.count >> 8), UInt8(body.count & 0xFF)])
        hasher.update(data: Array(body))
        let fingerprint = hasher.finalize().map { String(format: "%02X", $0) }.joined()
        return PublicKey(fingerprint: fingerprint, created: created, expires: nil, material: material)
    }

    struct Signature {
        let type: UInt8
        let publicKeyAlgorithm: UInt8
        let hashAlgorithm: UInt8
        /// Version through the hashed subpackets: what is hashed after the data.
        let hashedPart: [UInt8]
        let leftBits: [UInt8]
        let values: [[UInt8]]
        var created = Date(timeIntervalSince1970: 0)
        var expiration: Date?
        var keyExpiration: UInt32?
        var issuerKeyID: String?
        var issuerFingerprint: String?

        init(_ body: ArraySlice<UInt8>) throws {
            var reader = Reader(body)
            guard try reader.byte() == 4 else { throw FetchError("an OpenPGP signature that is not version 4") }
            type = try reader.byte()
            publicKeyAlgorithm = try reader.byte()
            hashAlgorithm = try reader.byte()
            let hashed = try reader.take(Int(try reader.integer(2)))
            hashedPart = Array(body[body.startIndex..<hashed.endIndex])
            let unhashed = try reader.take(Int(try reader.integer(2)))
            leftBits = Array(try reader.take(2))
            switch publicKeyAlgorithm {
            case 1, 3: values = [try reader.mpi()]
            case 22: values = [try reader.mpi(), try reader.mpi()]
            case 27: values = [Array(try reader.take(64))]
            default: values = []
            }
            var secondsValid: UInt32?
            for (isHashed, area) in [(true, hashed), (false, unhashed)] {
                var subpackets = Reader(area)
                while !subpackets.atEnd {
                    let first = Int(try subpackets.byte())
                    let length: Int
                    switch first {
                    case 0..<192: length = first
                    case 192..<255: length = ((first - 192) << 8) + Int(try subpackets.byte()) + 192
                    default: length = Int(try subpackets.integer(4))
                    }
                    guard length > 0 else { throw FetchError("an empty OpenPGP subpacket") }
                    var data = Reader(try subpackets.take(length))
                    let kind = try data.byte() & 0x7F
                    // Only the hashed area is signed: times come from there alone.
                    switch (kind, isHashed) {
                    case (2, true): created = Date(timeIntervalSince1970: TimeInterval(try data.integer(4)))
                    case (3, true): secondsValid = try data.integer(4)
                    case (9, true): keyExpiration = try data.integer(4)
                    case (16, _): issuerKeyID = Array(try data.take(8)).map { String(format: "%02X", $0) }.joined()
                    case (33, _):
                        _ = try data.byte()
                        issuerFingerprint = Array(try data.take(20)).map { String(format: "%02X", $0) }.joined()
                    default: continue
                    }
                }
            }
            if let secondsValid, secondsValid > 0 {
                expiration = created.addingTimeInterval(TimeInterval(secondsValid))
            }
        }

        var issuerDescription: String { issuerFingerprint ?? issuerKeyID ?? "an unnamed key" }

        func names(_ key: PublicKey) -> Bool {
            if let issuerFingerprint { return issuerFingerprint == key.fingerprint }
            return issuerKeyID == key.keyID
        }

        /// Whether this signature of `data` was made by `key`.
        func verifies(_ data: [UInt8], with key: PublicKey) -> Bool {
            var trailer = hashedPart
            trailer += [0x04, 0xFF]
            trailer += withUnsafeBytes(of: UInt32(hashedPart.count).bigEndian, Array.init)
            let digest: [UInt8]
            switch hashAlgorithm {
            case 8: digest = Array(SHA256.hash(data: data + trailer))
            case 10: digest = Array(SHA512.hash(data: data + trailer))
            default: return false
            }
            guard Array(digest.prefix(2)) == leftBits else { return false }
            switch (key.material, publicKeyAlgorithm) {
            case (.rsa(let n, let e), 1), (.rsa(let n, let e), 3):
                guard !n.isEmpty, let value = values.first, value.count <= n.count,
                    let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e)
                else { return false }
                let signature = _RSA.Signing.RSASignature(
                    rawRepresentation: [UInt8](repeating: 0, count: n.count - value.count) + value)
                return hashAlgorithm == 8
                    ? publicKey.isValidSignature(
                        signature, for: SHA256.hash(data: data + trailer), padding: .insecurePKCS1v1_5)
                    : publicKey.isValidSignature(
                        signature, for: SHA512.hash(data: data + trailer), padding: .insecurePKCS1v1_5)
            case (.ed25519(let raw), 22), (.ed25519(let raw), 27):
                let bytes: [UInt8]
                if publicKeyAlgorithm == 22 {
                    guard values.count == 2, values[0].count <= 32, values[1].count <= 32 else { return false }
                    bytes =
                        [UInt8](repeating: 0, count: 32 - values[0].count) + values[0]
                        + [UInt8](repeating: 0, count: 32 - values[1].count) + values[1]
                } else {
                    guard let value = values.first else { return false }
                    bytes = value
                }
                // OpenPGP's EdDSA signs the digest, not the data.
                guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
                return publicKey.isValidSignature(bytes, for: digest)
            default:
                return false
            }
        }
    }

    /// Reads big-endian numbers and byte runs, never past the end.
    struct Reader {
        var bytes: ArraySlice<UInt8>

        init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

        var atEnd: Bool { bytes.isEmpty }
        var remaining: Int { bytes.count }

        mutating func byte() throws -> UInt8 {
            guard let first = bytes.first else { throw FetchError("a truncated OpenPGP packet") }
            bytes = bytes.dropFirst()
            return first
        }

        mutating func integer(_ count: Int) throws -> UInt32 {
            try take(count).reduce(0) { $0 << 8 | UInt32($1) }
        }

        mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, count <= bytes.count else { throw FetchError("a truncated OpenPGP packet") }
            let run = bytes.prefix(count)
            bytes = bytes.dropFirst(count)
            return run
        }

        /// A multiprecision integer: its length in bits, then its bytes.
        mutating func mpi() throws -> [UInt8] {
            let bits = Int(try integer(2))
            return Array(try take((bits + 7) / 8))
        }
    }
}
