/// Nix's base-32: the digest read as one little-endian integer and written most significant
/// digit first, in an alphabet without `e o u t` (docs/nix-formats.md §2.3). Not RFC 4648.
public enum Nix32 {
    static let alphabet = Array("0123456789abcdfghijklmnpqrsvwxyz".utf8)

    /// Maps an ASCII byte to its digit value, or 0xFF when the byte is not in the alphabet.
    static let digitValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, char) in alphabet.enumerated() { table[Int(char)] = UInt8(value) }
        return table
    }()

    /// Number of characters that encode `byteCount` bytes.
    public static func encodedLength(_ byteCount: Int) -> Int {
        byteCount == 0 ? 0 : (byteCount * 8 - 1) / 5 + 1
    }

    public static func isDigit(_ byte: UInt8) -> Bool { digitValues[Int(byte)] != 0xFF }

    public static func encode(_ bytes: [UInt8]) -> String {
        let length = encodedLength(bytes.count)
        var out = [UInt8](repeating: 0, count: length)
        for k in 0..<length {
            let n = length - 1 - k
            let b = n * 5
            let i = b / 8
            let j = b % 8
            var value = Int(bytes[i]) >> j
            if i + 1 < bytes.count { value |= Int(bytes[i + 1]) << (8 - j) }
            out[k] = alphabet[value & 0x1f]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `text` into exactly `byteCount` bytes; nil if a character is outside the alphabet,
    /// the length is wrong, or unused high bits are set.
    public static func decode(_ text: some StringProtocol, byteCount: Int) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count == encodedLength(byteCount) else { return nil }
        var bytes = [UInt8](repeating: 0, count: byteCount)
        for (n, char) in chars.reversed().enumerated() {
            let digit = digitValues[Int(char)]
            guard digit != 0xFF else { return nil }
            let b = n * 5
            let i = b / 8
            let j = b % 8
            bytes[i] |= UInt8(truncatingIfNeeded: Int(digit) << j)
            let carry = Int(digit) >> (8 - j)
            if i + 1 < byteCount {
                bytes[i + 1] |= UInt8(truncatingIfNeeded: carry)
            } else if carry != 0 {
                return nil
            }
        }
        return bytes
    }
}
