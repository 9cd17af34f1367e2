import Foundation

/// A digest together with its algorithm, printable and parsable in every form Nix uses:
/// base16, nix32, base64 and SRI (docs/nix-formats.md §2).
public struct Hash: Hashable, Sendable, CustomStringConvertible {
    public let algorithm: HashAlgorithm
    public let bytes: [UInt8]

    public init(algorithm: HashAlgorithm, bytes: [UInt8]) {
        precondition(bytes.count == algorithm.digestSize, "digest size does not match \(algorithm)")
        self.algorithm = algorithm
        self.bytes = bytes
    }

    public enum Encoding: Sendable {
        case base16, nix32, base64, sri
    }

    /// Two digits a byte, by table: `String(format:)` cost a formatted string and a dynamic cast
    /// of its argument per byte (`builtins.hashString` spent most of its time there).
    public var base16: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
    public var nix32: String { Nix32.encode(bytes) }
    public var base64: String { Data(bytes).base64EncodedString() }
    public var sri: String { "\(algorithm.rawValue)-\(base64)" }

    /// Renders the hash; every form except SRI is prefixed with `algo:` when `prefixed` is set,
    /// as in `.narinfo` files (`sha256:0pzm…`).
    public func formatted(_ encoding: Encoding, prefixed: Bool = false) -> String {
        let body: String
        switch encoding {
        case .sri: return sri
        case .base16: body = base16
        case .nix32: body = nix32
        case .base64: body = base64
        }
        return prefixed ? "\(algorithm.rawValue):\(body)" : body
    }

    /// SRI, as `nix hash path` and `nix path-info --json` print it.
    public var description: String { sri }

    /// Parses `algo:digest`, `algo-base64` (SRI) or a bare digest whose algorithm is `algorithm`
    /// (or, failing that, `defaultAlgorithm`). A bare or prefixed digest may be base16, nix32 or
    /// base64; its length decides which.
    public init(parsing text: String, algorithm expected: HashAlgorithm? = nil, defaultAlgorithm: HashAlgorithm? = nil)
        throws
    {
        var algorithm = expected ?? defaultAlgorithm
        var body = Substring(text)
        var isSRI = false
        if let colon = text.firstIndex(of: ":") {
            algorithm = try Hash.algorithm(named: text[..<colon], in: text)
            body = text[text.index(after: colon)...]
        } else if let dash = text.firstIndex(of: "-") {
            algorithm = try Hash.algorithm(named: text[..<dash], in: text)
            body = text[text.index(after: dash)...]
            isSRI = true
        }
        guard let algorithm else {
            throw StoreError("hash '\(text)' does not say its algorithm (write it as algo:digest or in SRI form)")
        }
        if let expected, expected != algorithm {
            throw StoreError("hash '\(text)' is \(algorithm.rawValue), expected \(expected.rawValue)")
        }
        let size = algorithm.digestSize
        var digest: [UInt8]?
        if isSRI {
            digest = Hash.decodeBase64(body, size: size)
        } else {
            switch body.utf8.count {
            case size * 2: digest = Hash.decodeBase16(body)
            case Nix32.encodedLength(size): digest = Nix32.decode(body, byteCount: size)
            case (size + 2) / 3 * 4: digest = Hash.decodeBase64(body, size: size)
            default:
                throw StoreError("hash '\(text)' has wrong length for hash type '\(algorithm.rawValue)'")
            }
        }
        guard let digest else {
            throw StoreError("hash '\(text)' is not a valid \(algorithm.rawValue) digest")
        }
        self.init(algorithm: algorithm, bytes: digest)
    }

    private static func algorithm(named name: Substring, in text: String) throws -> HashAlgorithm {
        guard let algorithm = HashAlgorithm(rawValue: String(name)) else {
            throw StoreError("hash '\(text)' names unknown algorithm '\(name)'")
        }
        return algorithm
    }

    private static func decodeBase16(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for char in text.utf8 {
            let value: UInt8
            switch char {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = char - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = char - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = char - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return out
    }

    private static func decodeBase64(_ text: Substring, size: Int) -> [UInt8]? {
        guard let data = Data(base64Encoded: String(text)), data.count == size else { return nil }
        return [UInt8](data)
    }
}
