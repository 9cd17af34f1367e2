/// A Debian package version, `[epoch:]upstream[-revision]`, ordered as dpkg orders them: the
/// epoch numerically, then the upstream part and the revision by alternating runs of non-digits
/// (letters before other characters, `~` before everything, even the end) and digits (as numbers).
public struct DebianVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let epoch: Int
    public let upstream: String
    public let revision: String
    public let description: String

    public init?(_ text: String) {
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":") {
            guard let epoch = Int(rest[..<colon]), epoch >= 0 else { return nil }
            self.epoch = epoch
            rest = rest[rest.index(after: colon)...]
        } else {
            epoch = 0
        }
        if let dash = rest.lastIndex(of: "-") {
            upstream = String(rest[..<dash])
            revision = String(rest[rest.index(after: dash)...])
            guard !revision.isEmpty else { return nil }
        } else {
            upstream = String(rest)
            revision = ""
        }
        guard let first = upstream.utf8.first, DebianVersion.isDigit(first),
            upstream.utf8.allSatisfy({ DebianVersion.isAlphanumeric($0) || ".+~-:".utf8.contains($0) }),
            revision.utf8.allSatisfy({ DebianVersion.isAlphanumeric($0) || ".+~".utf8.contains($0) })
        else { return nil }
        description = text
    }

    public static func < (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) < 0 }

    /// Versions dpkg considers equal (`1.0` and `0:1.0`, `1.01` and `1.1`) are equal.
    public static func == (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) == 0 }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(epoch)
        hasher.combine(DebianVersion.normalized(upstream))
        hasher.combine(DebianVersion.normalized(revision))
    }

    public static func compare(_ a: DebianVersion, _ b: DebianVersion) -> Int {
        if a.epoch != b.epoch { return a.epoch < b.epoch ? -1 : 1 }
        let upstream = compareParts(Array(a.upstream.utf8), Array(b.upstream.utf8))
        return upstream != 0 ? upstream : compareParts(Array(a.revision.utf8), Array(b.revision.utf8))
    }

    /// dpkg's `verrevcmp`.
    private static func compareParts(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            var firstDifference = 0
            while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
                let left = order(i < a.count ? a[i] : nil)
                let right = order(j < b.count ? b[j] : nil)
                if left != right { return left < right ? -1 : 1 }
                i += 1
                j += 1
            }
            while i < a.count && a[i] == UInt8(ascii: "0") { i += 1 }
            while j < b.count && b[j] == UInt8(ascii: "0") { j += 1 }
            while i < a.count && isDigit(a[i]) && j < b.count && isDigit(b[j]) {
                if firstDifference == 0 { firstDifference = Int(a[i]) - Int(b[j]) }
                i += 1
                j += 1
            }
            if i < a.count && isDigit(a[i]) { return 1 }
            if j < b.count && isDigit(b[j]) { return -1 }
            if firstDifference != 0 { return firstDifference < 0 ? -1 : 1 }
        }
        return 0
    }

    /// How a character sorts among non-digits: the end and digits 0, `~` before all, letters by
    /// themselves, everything else after every letter.
    private static func order(_ character: UInt8?) -> Int {
        guard let character else { return 0 }
        if isDigit(character) { return 0 }
        if isLetter(character) { return Int(character) }
        if character == UInt8(ascii: "~") { return -1 }
        return Int(character) + 256
    }

    /// A form equal for versions that compare equal (leading zeros of digit runs dropped).
    private static func normalized(_ part: String) -> String {
        var out = ""
        var inNumber = false
        var pendingZero = false
        for character in part {
            if character.isASCII && character.isNumber {
                if !inNumber && character == "0" {
                    pendingZero = true
                    continue
                }
                inNumber = true
                pendingZero = false
                out.append(character)
            } else {
                if pendingZero { out.append("0") }
                pendingZero = false
                inNumber = false
                out.append(character)
            }
        }
        if pendingZero { out.append("0") }
        return out
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isLetter(byte) }
}
