/// Resolves Debian package names to the closure apt would install: every `Pre-Depends` and
/// `Depends` followed (versioned constraints, the first satisfiable alternative, virtual packages
/// through `Provides`), `Recommends` not. Iterative, so no index can make it recurse deeply; an
/// unsatisfiable dependency or a conflict inside the closure is an error naming the chain of
/// packages that led to it. Over several suites (backports and their base suite), a dependency
/// takes a version of the suite of highest priority that has one that will do, as apt's pinning
/// does; what is asked for comes from the resolver's own suite when that has it.
public struct DebianResolver {
    /// Name → its binaries, the candidate first: by their suite's priority, then newest first.
    let byName: [String: [DebianBinary]]
    /// Virtual name → what provides it, with the version provided (nil: unversioned).
    let providers: [String: [(binary: DebianBinary, version: DebianVersion?)]]
    let suite: String

    /// `priorities`: suite → apt's pin priority (`DebianRelease.priority`; 500 for a suite not given).
    public init(_ binaries: [DebianBinary], suite: String, priorities: [String: Int] = [:]) {
        var byName: [String: [DebianBinary]] = [:]
        var providers: [String: [(binary: DebianBinary, version: DebianVersion?)]] = [:]
        for binary in binaries {
            byName[binary.name, default: []].append(binary)
            for provided in binary.provides {
                providers[provided.name, default: []].append(
                    (binary, provided.constraint?.operator == .equal ? provided.constraint?.version : nil))
            }
        }
        func priority(_ binary: DebianBinary) -> Int { priorities[binary.suite] ?? 500 }
        self.byName = byName.mapValues {
            $0.sorted { (priority($0), $0.version) > (priority($1), $1.version) }
        }
        self.providers = providers.mapValues {
            $0.sorted { (priority($0.binary), $1.binary.name) > (priority($1.binary), $0.binary.name) }
        }
        self.suite = suite
    }

    /// Every binary package of the index (and of the suites resolved with it).
    public var binaries: [DebianBinary] { byName.values.flatMap { $0 } }

    /// The binary package `name` as a request takes it: the newest of the resolver's own suite,
    /// else the candidate of the others.
    public func binary(_ name: String) -> DebianBinary? {
        guard let versions = byName[name] else { return nil }
        return versions.first { $0.suite == suite } ?? versions.first
    }

    /// The closure of `names`, sorted by name.
    public func closure(_ names: [String]) throws -> [DebianBinary] {
        var chosen: [String: DebianBinary] = [:]
        /// Who needed each chosen package first, for messages.
        var neededBy: [String: String] = [:]
        var queue: [DebianBinary] = []
        for name in names {
            guard let binary = binary(name) else {
                throw PackageError("the Debian suite \(suite) has no package '\(name)'")
            }
            if chosen[binary.name] == nil {
                chosen[binary.name] = binary
                queue.append(binary)
            }
        }
        var next = 0
        while next < queue.count {
            let package = queue[next]
            next += 1
            for group in package.preDepends + package.depends {
                // Already satisfied by something chosen: nothing new.
                if group.contains(where: { dependency in satisfiers(dependency).contains { chosen[$0.name] == $0 } }) {
                    continue
                }
                guard let pick = group.lazy.compactMap({ self.satisfiers($0).first }).first else {
                    throw PackageError(
                        "cannot satisfy '\(group.map(\.description).joined(separator: " | "))' of \(chain(package.name, neededBy)) in the Debian suite \(suite)\(available(group))"
                    )
                }
                if let other = chosen[pick.name] {
                    throw PackageError(
                        "\(chain(package.name, neededBy)) needs \(pick.name) \(pick.version), but \(other.name) \(other.version) is chosen already"
                    )
                }
                chosen[pick.name] = pick
                neededBy[pick.name] = package.name
                queue.append(pick)
            }
        }
        for package in chosen.values {
            // A conflict names a package or a virtual one; either way a package never conflicts
            // with itself (Debian's idiom for "only one provider of X").
            for conflict in package.conflicts {
                if let other = satisfiers(conflict).first(where: { $0.name != package.name && chosen[$0.name] == $0 }) {
                    throw PackageError(
                        "\(chain(package.name, neededBy)) conflicts with \(chain(other.name, neededBy)) (\(conflict))")
                }
            }
        }
        return chosen.values.sorted { $0.name < $1.name }
    }

    /// For each package of `closure` (by name), the packages of the closure that satisfy its
    /// `Pre-Depends` and `Depends`: in each group the first alternative one of them satisfies.
    public func edges(_ closure: [DebianBinary]) -> [String: [String]] {
        let chosen = Dictionary(closure.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var edges: [String: [String]] = [:]
        for package in closure {
            var targets: [String] = []
            for group in package.preDepends + package.depends {
                for dependency in group {
                    if let hit = satisfiers(dependency).first(where: { chosen[$0.name] == $0 }) {
                        if hit.name != package.name, !targets.contains(hit.name) { targets.append(hit.name) }
                        break
                    }
                }
            }
            edges[package.name] = targets
        }
        return edges
    }

    /// The binaries that satisfy `dependency`, best first: the package itself (the admitted
    /// version of the suite of highest priority, newest first), then providers of that name.
    func satisfiers(_ dependency: DebianDependency) -> [DebianBinary] {
        let real = (byName[dependency.name] ?? []).filter { dependency.admits($0.version) }
        let virtual = (providers[dependency.name] ?? []).filter { dependency.admits($0.version) }.map(\.binary)
        return real + virtual
    }

    /// `a ← b ← c`: a package and who needed it, up to what was asked for.
    private func chain(_ name: String, _ neededBy: [String: String]) -> String {
        var names = [name]
        while let parent = neededBy[names.last!], !names.contains(parent), names.count < 20 { names.append(parent) }
        return names.joined(separator: " ← ")
    }

    /// ": the suite has NAME VERSION, ..." for the names of a group it does have.
    private func available(_ group: [DebianDependency]) -> String {
        let known = group.compactMap { dependency in byName[dependency.name]?.first.map { "\($0.name) \($0.version)" } }
        return known.isEmpty ? "" : " (it has \(known.joined(separator: ", ")))"
    }
}
