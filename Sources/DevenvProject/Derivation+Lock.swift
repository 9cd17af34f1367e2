import DevenvBasics
import DevenvBuild
import DevenvFetch
import DevenvStore

/// Derivations as the lock records them: complete, so that the lock alone rebuilds them after the
/// package set has moved on. Version 2 keeps each once, in the `derivations` table under its
/// hash, dependencies named by their keys (a Debian closure shares its C library among dozens of
/// packages); version 1 nested every dependency inside its dependent.
extension Derivation {
    /// Its key in the `derivations` table.
    var lockKey: String { hash.base16 }

    /// Its entry in the `derivations` table.
    var lockEntry: CanonicalJSON { .object(lockFields(dependencies: .array(dependencies.map { .string($0.lockKey) }))) }

    /// Its fields, with `dependencies` as given.
    private func lockFields(dependencies: CanonicalJSON) -> [String: CanonicalJSON] {
        var object: [String: CanonicalJSON] = [
            "name": .string(name),
            "version": .string(version),
            "system": .string(system),
            "sources": .array(
                sources.map { source in
                    var fields: [String: CanonicalJSON] = [
                        "url": .string(source.url), "hash": .string(source.hash.sri),
                    ]
                    if let unpack = source.unpack {
                        var options: [String: CanonicalJSON] = ["strip": .integer(Int64(unpack.strip))]
                        if let subdir = unpack.subdir { options["subdir"] = .string(subdir) }
                        fields["unpack"] = .object(options)
                    }
                    return .object(fields)
                }),
            "dependencies": dependencies,
            "environment": .object(environment.mapValues(CanonicalJSON.string)),
            "paths": .array(paths.map(CanonicalJSON.string)),
        ]
        if let script { object["script"] = .string(script) }
        if relocation != 0 { object["relocate"] = Derivation.relocationJSON(relocation) }
        if !links.isEmpty { object["links"] = .object(links.mapValues(CanonicalJSON.string)) }
        if hermetic { object["hermetic"] = .bool(true) }
        return object
    }

    /// The `derivations` table for `roots`: each derivation of their graphs once.
    static func lockTable(_ roots: [Derivation]) -> [String: CanonicalJSON] {
        var table: [String: CanonicalJSON] = [:]
        var pending = roots
        while let derivation = pending.popLast() {
            guard table[derivation.lockKey] == nil else { continue }
            table[derivation.lockKey] = derivation.lockEntry
            pending += derivation.dependencies
        }
        return table
    }

    /// Reads a version 1 derivation, its dependencies nested.
    init(nestedLockJSON json: LockReader) throws {
        try self.init(
            lockFields: json, dependencies: try json.array("dependencies").map(Derivation.init(nestedLockJSON:)))
    }

    /// Reads the `derivations` table of a version 2 lock: every entry must hash to its key, and
    /// dependencies must name entries, without cycles and at most `maximumDepth` deep (no
    /// recursion: a lock comes with a cloned repository).
    static func fromLockTable(_ table: [String: LockReader]) throws -> [String: Derivation] {
        let maximumDepth = 256
        var built: [String: Derivation] = [:]
        for root in table.keys.sorted() where built[root] == nil {
            var stack: [String] = [root]
            while let key = stack.last {
                guard let entry = table[key] else {
                    throw ProjectError("devenv.lock is damaged: derivations lacks \(key)")
                }
                let keys = try entry.array("dependencies").map { try $0.asString() }
                if let missing = keys.first(where: { built[$0] == nil }) {
                    guard !stack.contains(missing) else {
                        throw try entry.field("dependencies").error("form a cycle through \(missing)")
                    }
                    guard stack.count < maximumDepth else {
                        throw try entry.field("dependencies").error("nest deeper than \(maximumDepth)")
                    }
                    guard table[missing] != nil else {
                        throw try entry.field("dependencies").error("name \(missing), which derivations lacks")
                    }
                    stack.append(missing)
                    continue
                }
                let derivation = try Derivation(lockFields: entry, dependencies: keys.map { built[$0]! })
                guard derivation.lockKey == key else {
                    throw entry.error("does not hash to its key (\(derivation.lockKey))")
                }
                built[key] = derivation
                stack.removeLast()
            }
        }
        return built
    }

    private init(lockFields json: LockReader, dependencies: [Derivation]) throws {
        self.init(
            name: try json.string("name"), version: try json.string("version"), system: try json.string("system"),
            sources: try json.array("sources").map { source in
                let unpack = try source.optionalObject("unpack").map { options in
                    UnpackOptions(
                        strip: Int(try options.integer("strip")), subdir: try options.optionalString("subdir"))
                }
                return Derivation.Source(
                    url: try source.string("url"), hash: try Hash(parsing: try source.string("hash")), unpack: unpack)
            },
            dependencies: dependencies,
            script: try json.optionalString("script"), environment: try json.variables("environment"),
            paths: try json.array("paths").map { path in
                let text = try path.asString()
                guard Derivation.isOutputDirectory(text) else {
                    throw path.error("\(text.debugDescription) is not a directory inside the output")
                }
                return text
            }, relocation: try json.relocation(), links: try json.links(),
            hermetic: try json.optionalBool("hermetic") ?? false)
    }
}

extension LockReader {
    /// `relocate`: absent (none), `true` (the first relocation) or the relocation's number.
    fileprivate func relocation() throws -> Int {
        guard try has("relocate") else { return 0 }
        let member = try field("relocate")
        switch member.value {
        case .bool(let flag): return flag ? 1 : 0
        case .integer(let number) where (1...Int64(Derivation.currentRelocation)).contains(number): return Int(number)
        default:
            throw member.error("must be true or a relocation from 1 to \(Derivation.currentRelocation)")
        }
    }

    /// `links`: paths inside the output → targets, both checked (they become files in the store).
    fileprivate func links() throws -> [String: String] {
        guard try has("links") else { return [:] }
        let links = try stringMap("links")
        if let wrong = links.sorted(by: { $0.key < $1.key }).first(where: {
            !Derivation.isLinkPath($0.key) || !Derivation.isLinkTarget($0.value)
        }) {
            throw try field("links").error(
                "has \(wrong.key.debugDescription) → \(wrong.value.debugDescription), which is not a path inside the output and a target"
            )
        }
        return links
    }
}
