/// "Did you mean" candidates for a mistyped name.
public enum Suggestions {
    /// Up to three names closest to `name` by edit distance (ignoring case), close enough to be a typo,
    /// plus names that contain it.
    public static func closest(to name: String, among names: [String]) -> [String] {
        let target = Array(name.lowercased())
        let limit = max(2, target.count / 3)
        let scored = Set(names).compactMap { candidate -> (String, Int)? in
            let lowered = candidate.lowercased()
            if lowered.contains(String(target)) || String(target).contains(lowered) && lowered.count > 2 {
                return (candidate, 0)
            }
            let distance = editDistance(target, Array(lowered))
            return distance <= limit ? (candidate, distance) : nil
        }
        return scored.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(3).map(\.0)
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
