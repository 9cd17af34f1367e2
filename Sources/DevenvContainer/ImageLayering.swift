import DevenvStore

/// How a closure is cut into layers, as nixpkgs' `buildLayeredImage` cuts it: paths ordered by
/// popularity (how many ways the closure's roots reach each one), most popular first, so that the
/// paths most images share sit in the same bottom layers and a changed package changes few.
public enum ImageLayering {
    /// The closure's paths, most popular first; equally popular paths by name, then hash.
    public static func order(_ closure: [PathInfo]) -> [StorePath] {
        var references: [StorePath: [StorePath]] = [:]
        var referenced: Set<StorePath> = []
        for info in closure {
            let others = info.references.filter { $0 != info.path }
            references[info.path] = others
            referenced.formUnion(others)
        }
        // A path's contest: each path below it → the number of ways it is reached from there.
        // `closure` lists each path after what it references, so a path's children are done first.
        var contests: [StorePath: [StorePath: Int]] = [:]
        for info in closure {
            var contest: [StorePath: Int] = [:]
            for child in references[info.path] ?? [] {
                contest[child, default: 0] = adding(contest[child, default: 0], 1)
                for (path, count) in contests[child] ?? [:] {
                    contest[path, default: 0] = adding(contest[path, default: 0], adding(count, 1))
                }
            }
            contests[info.path] = contest
        }
        var popularity: [StorePath: Int] = [:]
        for info in closure where !referenced.contains(info.path) {
            popularity[info.path, default: 0] = adding(popularity[info.path, default: 0], 1)
            for (path, count) in contests[info.path] ?? [:] {
                popularity[path, default: 0] = adding(popularity[path, default: 0], adding(count, 1))
            }
        }
        return closure.map(\.path).sorted { a, b in
            let (left, right) = (popularity[a] ?? 0, popularity[b] ?? 0)
            return left != right ? left > right : sortKey(a).lexicographicallyPrecedes(sortKey(b))
        }
    }

    /// The store layers for at most `count` layers: one path each, the rest of the ordered paths
    /// together in the last.
    public static func layers(_ ordered: [StorePath], count: Int) -> [[StorePath]] {
        guard ordered.count > count else { return ordered.map { [$0] } }
        return ordered.prefix(count - 1).map { [$0] } + [Array(ordered.dropFirst(count - 1))]
    }

    /// nixpkgs' `package_name`: the name first, the hash last, so order follows names.
    private static func sortKey(_ path: StorePath) -> [UInt8] { Array("\(path.name)-\(path.hashPart)".utf8) }

    private static func adding(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
