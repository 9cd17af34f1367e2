import Foundation

/// One dependency of a Debian package as `Depends`, `Pre-Depends` and `Provides` write it:
/// `name[:arch] [(op version)]`.
public struct DebianDependency: Hashable, Sendable, CustomStringConvertible {
    public enum Operator: String, Sendable {
        case earlier = "<<"
        case earlierOrEqual = "<="
        case equal = "="
        case laterOrEqual = ">="
        case later = ">>"

        /// Whether `version` satisfies `self` against `bound`.
        public func admits(_ version: DebianVersion, _ bound: DebianVersion) -> Bool {
            let order = DebianVersion.compare(version, bound)
            switch self {
            case .earlier: return order < 0
            case .earlierOrEqual: return order <= 0
            case .equal: return order == 0
            case .laterOrEqual: return order >= 0
            case .later: return order > 0
            }
        }
    }

    public var name: String
    /// `any`, `native` or an architecture, when written (`python3:any`).
    public var architecture: String?
    public var constraint: (operator: Operator, version: DebianVersion)?

    public static func == (lhs: DebianDependency, rhs: DebianDependency) -> Bool { lhs.description == rhs.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    public var description: String {
        name + (architecture.map { ":\($0)" } ?? "")
            + (constraint.map { " (\($0.operator.rawValue) \($0.version))" } ?? "")
    }

    /// Whether a package of `version` (nil: a virtual one, provided without a version) satisfies it.
    public func admits(_ version: DebianVersion?) -> Bool {
        guard let constraint else { return true }
        guard let version else { return false }
        return constraint.operator.admits(version, constraint.version)
    }

    /// One dependency of a relation field's bytes; byte by byte, as a suite's index has some
    /// 300,000 of these.
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        func trimmed(_ range: Range<Int>) -> Range<Int> {
            var (low, high) = (range.lowerBound, range.upperBound)
            while low < high && isBlank(bytes[low]) { low += 1 }
            while high > low && isBlank(bytes[high - 1]) { high -= 1 }
            return low..<high
        }
        func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        // An architecture restriction (`[amd64]`) or profile (`<!nocheck>`) only appears in source
        // packages' build relations, never in binary indexes: refused.
        let open = bytes.firstIndex(of: UInt8(ascii: "("))
        guard !bytes.contains(UInt8(ascii: "[")), !bytes.contains(UInt8(ascii: "<")) || open != nil else { return nil }
        var rest = trimmed(0..<bytes.count)
        if let open {
            guard let close = bytes.firstIndex(of: UInt8(ascii: ")")), close > open,
                trimmed(close + 1..<bytes.count).isEmpty
            else { return nil }
            let inside = trimmed(open + 1..<close)
            var symbolEnd = inside.lowerBound
            while symbolEnd < inside.upperBound && "<=>".utf8.contains(bytes[symbolEnd]) { symbolEnd += 1 }
            guard let op = Operator(rawValue: string(inside.lowerBound..<symbolEnd)),
                let version = DebianVersion(string(trimmed(symbolEnd..<inside.upperBound)))
            else { return nil }
            constraint = (op, version)
            rest = trimmed(rest.lowerBound..<open)
        } else {
            constraint = nil
        }
        if let colon = bytes[rest].firstIndex(of: UInt8(ascii: ":")) {
            name = string(rest.lowerBound..<colon)
            architecture = string(colon + 1..<rest.upperBound)
        } else {
            name = string(rest)
            architecture = nil
        }
        guard DebianDependency.isPackageName(name) else { return nil }
    }

    /// Lowercase letters, digits and `+-.`, at least two, starting with a letter or digit.
    public static func isPackageName(_ name: String) -> Bool {
        guard name.utf8.count >= 2, let first = name.utf8.first,
            DebianVersion.isDigit(first) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return name.utf8.allSatisfy {
            DebianVersion.isDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || "+-.".utf8.contains($0)
        }
    }

    /// A relation field: groups separated by `,`, each of alternatives separated by `|`; nil when
    /// any part is malformed. Empty groups and alternatives are skipped.
    public static func parse(_ field: String) -> [[DebianDependency]]? {
        var field = field
        return field.withUTF8 { bytes -> [[DebianDependency]]? in
            var groups: [[DebianDependency]] = []
            var alternatives: [DebianDependency] = []
            var start = 0
            for index in 0...bytes.count {
                let separator = index < bytes.count ? bytes[index] : UInt8(ascii: ",")
                guard separator == UInt8(ascii: ",") || separator == UInt8(ascii: "|") else { continue }
                let part = UnsafeBufferPointer(rebasing: bytes[start..<index])
                start = index + 1
                if !(separator == UInt8(ascii: ",") && alternatives.isEmpty
                    && part.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A }) && !part.isEmpty
                {
                    guard let dependency = DebianDependency(part) else { return nil }
                    alternatives.append(dependency)
                }
                if separator == UInt8(ascii: ","), !alternatives.isEmpty {
                    groups.append(alternatives)
                    alternatives = []
                }
            }
            return groups
        }
    }
}
