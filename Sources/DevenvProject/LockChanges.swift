import DevenvPackages

/// What moved between two locks, one line each, as `devenv update` prints it:
/// `go_1_24 1.24.3 → 1.24.11`, `+ nodejs_24 24.19.0`, `- ruff 0.17.6`, `input team: 1a2b3c4 → 5d6e7f8`.
public enum LockChanges {
    public static func describe(from old: Lockfile?, to new: Lockfile, system: String) -> [String] {
        var lines: [String] = []
        for name in Set(new.inputs.keys).union(old?.inputs.keys ?? [:].keys).sorted() {
            let before = old?.inputs[name]
            let after = new.inputs[name]
            guard before != after else { continue }
            switch (before, after) {
            case (nil, let added?): lines.append("+ input \(name) (\(added.spec))")
            case (let removed?, nil): lines.append("- input \(name) (\(removed.spec))")
            case (let before?, let after?):
                let from = before.rev.map { String($0.prefix(7)) } ?? before.narHash ?? before.spec
                let to = after.rev.map { String($0.prefix(7)) } ?? after.narHash ?? after.spec
                if from != to { lines.append("input \(name): \(from) → \(to)") }
            default: break
            }
        }
        for shell in Set(new.shells.keys).union(old?.shells.keys ?? [:].keys).sorted() {
            let before = versions(old?.shells[shell]?[system] ?? [])
            let after = versions(new.shells[shell]?[system] ?? [])
            let label = shell == Manifest.defaultShell ? "" : " (shell \(shell))"
            for name in Set(before.keys).union(after.keys).sorted() {
                switch (before[name], after[name]) {
                case (nil, let version?): lines.append("+ \(name) \(version)\(label)")
                case (let version?, nil): lines.append("- \(name) \(version)\(label)")
                case (let from?, let to?) where from != to: lines.append("\(name) \(from) → \(to)\(label)")
                default: break
                }
            }
        }
        return lines
    }

    /// By name and version, except that a package from Debian's archive goes by what was asked
    /// for (`python313`, `gcc`), not its output's source packages, and by Debian's version: the
    /// version of the `.deb` of that name when the closure has one (gcc's `4:14.2.0-1`, not its
    /// source's `1.220`), else its output's.
    private static func versions(_ packages: [LockedPackage]) -> [String: String] {
        Dictionary(
            packages.map { package in
                guard let pin = package.debian else { return (package.name, package.version) }
                let name = PackageRequest(package.request)?.name ?? package.name
                let version =
                    pin.debs.first { $0.package == name }?.version
                    ?? DebianOutputs.debianVersion(ofStoreVersion: package.version)
                return (name, version)
            }, uniquingKeysWith: { first, _ in first })
    }

    /// A flake's inputs, by their path from the root: `+ input dep (git+file:///…)`, `- input
    /// old (path:./old)`, `input dep: 1a2b3c4 → 5d6e7f8` (revs, or NAR hashes where there is none).
    static func describe(from old: FlakeLock?, to new: FlakeLock?) -> [String] {
        // Each node once, by the first path to it in sorted order (a lock may share nodes).
        func pinned(_ lock: FlakeLock?) -> [String: FlakeLock.Node] {
            var found: [String: FlakeLock.Node] = [:]
            var seen: Set<ObjectIdentifier> = []
            func visit(_ node: FlakeLock.Node, _ path: String) {
                for name in node.inputs.keys.sorted() {
                    guard case .node(let child) = node.inputs[name]!, child.isWritten,
                        seen.insert(ObjectIdentifier(child)).inserted
                    else { continue }
                    let childPath = path.isEmpty ? name : path + "/" + name
                    found[childPath] = child
                    visit(child, childPath)
                }
            }
            if let lock { visit(lock.root, "") }
            return found
        }
        func version(_ node: FlakeLock.Node) -> String {
            if case .string(let rev)? = node.locked["rev"] { return String(rev.prefix(7)) }
            if case .string(let hash)? = node.locked["narHash"] { return String(hash.prefix(14)) }
            return "?"
        }
        func url(_ node: FlakeLock.Node) -> String {
            (try? FlakeReference(attributes: node.original).url) ?? "?"
        }
        let before = pinned(old)
        let after = pinned(new)
        return Set(before.keys).union(after.keys).sorted().compactMap { path in
            switch (before[path], after[path]) {
            case (nil, let added?): return "+ input \(path) (\(url(added)))"
            case (let removed?, nil): return "- input \(path) (\(url(removed)))"
            case (let from?, let to?) where from.locked != to.locked:
                return "input \(path): \(version(from)) → \(version(to))"
            default: return nil
            }
        }
    }
}
