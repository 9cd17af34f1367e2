import DevenvPackages

/// Which keys differ between two texts of a devenv.toml (`shell.env`, `scripts`, ...): what the
/// hook names when an allowed manifest was edited.
public enum ManifestChanges {
    /// Changed keys, a table's members as `table.key`, sorted; nil when a text does not parse.
    public static func keys(from old: String, to new: String) -> [String]? {
        guard let before = try? TOMLDocument(file: "", text: old).root,
            let after = try? TOMLDocument(file: "", text: new).root
        else { return nil }
        var changed: [String] = []
        for key in Set(before.keys).union(after.keys) where before[key] != after[key] {
            if case .table(let inner)? = before[key], case .table(let outer)? = after[key] {
                changed += Set(inner.keys).union(outer.keys).filter { inner[$0] != outer[$0] }.map { "\(key).\($0)" }
            } else {
                changed.append(key)
            }
        }
        return changed.sorted()
    }
}
