import DevenvBuild
import DevenvFetch
import DevenvStore

/// A closure of Debian packages as derivations, one per output. The packages built from one
/// source package share an output, because programs find their own files relative to themselves
/// (Python's interpreter and its standard library, PostgreSQL's server and its `share`); so do
/// packages whose dependencies form a cycle, since a derivation graph has none. Each output is its
/// packages' `.deb`s, fetched from the mirror and checked against the index's SHA-256, unpacked
/// together and relocated onto the outputs it depends on.
public struct DebianOutputs {
    /// The packages of each output, sorted by name; in an order where dependencies come first.
    public let groups: [[DebianBinary]]
    /// The derivation of each group.
    public let derivations: [Derivation]
    private let groupOfPackage: [String: Int]

    /// The derivation whose output has `package`.
    public func derivation(of package: String) -> Derivation? { groupOfPackage[package].map { derivations[$0] } }

    public init(closure: [DebianBinary], resolver: DebianResolver, mirror: String, system: String) throws {
        let packages = closure.sorted { $0.name < $1.name }
        let index = Dictionary(uniqueKeysWithValues: packages.enumerated().map { ($1.name, $0) })
        let edges = resolver.edges(packages).mapValues { $0.compactMap { index[$0] } }
        var sets = DisjointSets(count: packages.count)
        var bySource: [String: Int] = [:]
        for (i, package) in packages.enumerated() {
            if let first = bySource[package.source] { sets.union(first, i) } else { bySource[package.source] = i }
        }
        // Cycles between the groups so far merge too.
        let graph = (0..<packages.count).map { i in edges[packages[i].name] ?? [] }
        var successors = [[Int]](repeating: [], count: packages.count)
        for i in packages.indices { successors[sets.find(i)] += graph[i].map { sets.find($0) } }
        for component in DebianOutputs.cycles(count: packages.count, edges: { successors[$0] }) {
            for member in component.dropFirst() { sets.union(component[0], member) }
        }

        var members: [Int: [Int]] = [:]
        for i in packages.indices { members[sets.find(i), default: []].append(i) }
        var groupDependencies: [Int: Set<Int>] = [:]
        for (root, list) in members {
            groupDependencies[root] = Set(list.flatMap { graph[$0] }.map { sets.find($0) }).subtracting([root])
        }
        // Dependencies first (Kahn's order), ties by the first package name, so the result is stable.
        var remaining = groupDependencies
        var order: [Int] = []
        while !remaining.isEmpty {
            let ready = remaining.filter { $0.value.isEmpty }.keys.sorted {
                packages[members[$0]![0]].name < packages[members[$1]![0]].name
            }
            guard !ready.isEmpty else { throw PackageError("the Debian packages' dependencies form a cycle") }
            for root in ready {
                remaining[root] = nil
                order.append(root)
            }
            for key in remaining.keys { remaining[key]!.subtract(ready) }
        }

        var built: [Int: Derivation] = [:]
        var groups: [[DebianBinary]] = []
        var derivations: [Derivation] = []
        var groupOfPackage: [String: Int] = [:]
        for root in order {
            let group = members[root]!.map { packages[$0] }
            let sources = Array(Set(group.map(\.source))).sorted()
            let lead = group.first { $0.source == sources[0] }!
            let derivation = Derivation(
                name: sources.joined(separator: "+"), version: DebianOutputs.storeVersion(lead.sourceVersion),
                system: system,
                sources: try group.map { package in
                    Derivation.Source(
                        url: mirror + "/" + package.filename, hash: try Hash(parsing: "sha256:" + package.sha256),
                        unpack: UnpackOptions())
                },
                dependencies: groupDependencies[root]!.map { built[$0]! }.sorted { $0.name < $1.name },
                paths: ["usr/bin", "bin", "usr/sbin", "sbin", "usr/games"],
                relocation: Derivation.currentRelocation)
            built[root] = derivation
            for package in group { groupOfPackage[package.name] = groups.count }
            groups.append(group)
            derivations.append(derivation)
        }
        self.groups = groups
        self.derivations = derivations
        self.groupOfPackage = groupOfPackage
    }

    /// A Debian version as a store path name can hold it (no `:` or `~`).
    public static func storeVersion(_ version: DebianVersion) -> String {
        version.description.map { $0 == ":" || $0 == "~" ? "_" : $0 }.map(String.init).joined()
    }

    /// The Debian version a store version was made from: Debian's versions hold no `_`, so the
    /// first one after leading digits was the epoch's `:` and any other a `~`.
    public static func debianVersion(ofStoreVersion version: String) -> String {
        var epoch = true
        return String(
            version.map { character -> Character in
                defer { if !character.isASCII || !character.isNumber { epoch = false } }
                guard character == "_" else { return character }
                return epoch ? ":" : "~"
            })
    }

    /// The strongly connected components with more than one member of the graph over
    /// `0..<count` (Tarjan's algorithm, without recursion).
    static func cycles(count: Int, edges: (Int) -> [Int]) -> [[Int]] {
        var indexOf = [Int?](repeating: nil, count: count)
        var lowlink = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var next = 0
        var components: [[Int]] = []
        for start in 0..<count where indexOf[start] == nil {
            var work: [(node: Int, successors: [Int], position: Int)] = []
            func visit(_ node: Int) {
                indexOf[node] = next
                lowlink[node] = next
                next += 1
                stack.append(node)
                onStack[node] = true
                work.append((node, edges(node), 0))
            }
            visit(start)
            while !work.isEmpty {
                let (node, successors, position) = work[work.count - 1]
                if position < successors.count {
                    work[work.count - 1].position += 1
                    let successor = successors[position]
                    if indexOf[successor] == nil {
                        visit(successor)
                    } else if onStack[successor] {
                        lowlink[node] = min(lowlink[node], indexOf[successor]!)
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.node { lowlink[parent] = min(lowlink[parent], lowlink[node]) }
                if lowlink[node] == indexOf[node] {
                    var component: [Int] = []
                    while let member = stack.popLast() {
                        onStack[member] = false
                        component.append(member)
                        if member == node { break }
                    }
                    if component.count > 1 { components.append(component) }
                }
            }
        }
        return components
    }
}

/// Union-find over `0..<count`.
struct DisjointSets {
    private var parent: [Int]

    init(count: Int) { parent = Array(0..<count) }

    mutating func find(_ x: Int) -> Int {
        var root = x
        while parent[root] != root { root = parent[root] }
        var node = x
        while parent[node] != root { (parent[node], node) = (root, parent[node]) }
        return root
    }

    mutating func union(_ a: Int, _ b: Int) {
        let (ra, rb) = (find(a), find(b))
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }
}
