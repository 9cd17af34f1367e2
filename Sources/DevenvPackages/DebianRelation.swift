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

    init?(_ text: Substring) {
        var rest = text.trimmingCharacters(in: .whitespaces)[...]
        // An architecture restriction (`[amd64]`) or profile (`<!nocheck>`) only appears in source
        // packages' build relations, never in binary indexes: refused.
        guard !rest.contains("["), !rest.contains("<") || rest.contains("(") else { return nil }
        if let open = rest.firstIndex(of: "(") {
            guard let close = rest.firstIndex(of: ")"), close > open,
                rest[rest.index(after: close)...].allSatisfy(\.isWhitespace)
            else { return nil }
            let inside = rest[rest.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            let symbol = inside.prefix { "<=>".contains($0) }
            guard let op = Operator(rawValue: String(symbol)),
                let version = DebianVersion(inside.dropFirst(symbol.count).trimmingCharacters(in: .whitespaces))
            else { return nil }
            constraint = (op, version)
            rest = rest[..<open]
        } else {
            constraint = nil
        }
        let nameAndArchitecture = rest.trimmingCharacters(in: .whitespaces)
        let parts = nameAndArchitecture.split(separator: ":", maxSplits: 1).map(String.init)
        guard let first = parts.first, DebianDependency.isPackageName(first) else { return nil }
        name = first
        architecture = parts.count == 2 ? parts[1] : nil
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
    /// any part is malformed.
    public static func parse(_ field: String) -> [[DebianDependency]]? {
        var groups: [[DebianDependency]] = []
        for group in field.split(separator: ",") where !group.allSatisfy(\.isWhitespace) {
            var alternatives: [DebianDependency] = []
            for alternative in group.split(separator: "|") {
                guard let dependency = DebianDependency(alternative) else { return nil }
                alternatives.append(dependency)
            }
            groups.append(alternatives)
        }
        return groups
    }
}
