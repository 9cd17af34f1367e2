/// One entry of the store, `<hashPart>-<name>`, independent of where the store lives.
public struct StorePath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// 32 characters of nix32: the 160-bit XOR-fold of the path's fingerprint.
    public let hashPart: String
    public let name: String

    public static let hashPartLength = 32
    public static let maxNameLength = 211

    public init(hashPart: String, name: String) throws {
        guard hashPart.utf8.count == StorePath.hashPartLength, hashPart.utf8.allSatisfy(Nix32.isDigit) else {
            throw StoreError("'\(hashPart)' is not a store path hash (32 characters of Nix base32)")
        }
        try StorePath.validate(name: name)
        self.hashPart = hashPart
        self.name = name
    }

    /// Parses `<hashPart>-<name>`.
    public init(baseName: some StringProtocol) throws {
        let bytes = Array(baseName.utf8)
        guard bytes.count > StorePath.hashPartLength + 1, bytes[StorePath.hashPartLength] == UInt8(ascii: "-") else {
            throw StoreError("'\(baseName)' is not a store path name (<32-char hash>-<name>)")
        }
        try self.init(
            hashPart: String(decoding: bytes[..<StorePath.hashPartLength], as: UTF8.self),
            name: String(decoding: bytes[(StorePath.hashPartLength + 1)...], as: UTF8.self))
    }

    public var baseName: String { "\(hashPart)-\(name)" }
    public var description: String { baseName }

    public static func < (lhs: StorePath, rhs: StorePath) -> Bool { lhs.baseName < rhs.baseName }

    /// Names are 1–211 bytes of `[0-9a-zA-Z+-._?=]`, not `.` or `..`, and do not start with `.-`
    /// or `..-` (the rules of current Nix, a superset of 2.8's).
    public static func validate(name: String) throws {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { throw StoreError("store path name is empty") }
        guard bytes.count <= maxNameLength else {
            throw StoreError("store path name '\(name)' is longer than \(maxNameLength) bytes")
        }
        // Named by the character, not its first byte (`ü`, not `Ã`).
        for character in name where !character.utf8.allSatisfy(isNameByte) {
            throw StoreError(
                "store path name \(name.debugDescription) contains \(String(character).debugDescription); allowed are letters, digits and + - . _ ? ="
            )
        }
        if name == "." || name == ".." || name.hasPrefix(".-") || name.hasPrefix("..-") {
            throw StoreError("store path name '\(name)' is not allowed")
        }
    }

    /// Replaces every byte a store path name cannot hold by `_`, for naming things after files.
    public static func sanitizedName(_ raw: String) -> String {
        let mapped = raw.utf8.prefix(maxNameLength).map { isNameByte($0) ? $0 : UInt8(ascii: "_") }
        var name = String(decoding: mapped, as: UTF8.self)
        if name.hasPrefix(".") { name = "_" + name.dropFirst() }
        return name.isEmpty ? "source" : name
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "?"),
            UInt8(ascii: "="):
            true
        default: false
        }
    }
}
