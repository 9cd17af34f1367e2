import DevenvBasics
import DevenvPackages

/// Which keys differ between two texts of a devenv.toml (`shell.env.MODE`, `scripts.test`, ...):
/// what the hook names when an allowed manifest was edited, and `generations` for a change that
/// is not in the lock.
public enum ManifestChanges {
    /// The dotted paths of the values that differ (tables are followed down to their members),
    /// sorted; nil when a text does not parse.
    public static func keys(from old: String, to new: String) -> [String]? {
        guard let before = try? TOMLDocument(file: "", text: old).root,
            let after = try? TOMLDocument(file: "", text: new).root
        else { return nil }
        return differences(before, after, prefix: "").sorted()
    }

    /// The changed keys the lock does not show (all but inputs, packages and systems).
    public static func beyondTheLock(from old: String, to new: String) -> [String] {
        (keys(from: old, to: new) ?? []).filter {
            !$0.hasPrefix("inputs") && !$0.hasSuffix(".packages") && $0 != "shell.packages" && $0 != "project.systems"
        }
    }

    private static func differences(_ before: [String: TOMLNode], _ after: [String: TOMLNode], prefix: String)
        -> [String]
    {
        Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.flatMap { key -> [String] in
            if case .table(let inner)? = before[key], case .table(let outer)? = after[key] {
                return differences(inner, outer, prefix: prefix + key + ".")
            }
            return [prefix + key]
        }
    }
}
