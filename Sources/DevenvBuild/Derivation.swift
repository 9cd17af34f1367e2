import DevenvBasics
import DevenvFetch
import DevenvStore

/// A recipe resolved for one system: everything that decides what its output contains. Its
/// canonical form (`canonical`) hashes to the name of the output path, before anything is built;
/// any change to any field gives another path.
public struct Derivation: Hashable, Sendable {
    /// A file to fetch: where from, its pinned hash, and how to unpack it (nil: keep the file).
    public struct Source: Hashable, Sendable {
        public var url: String
        public var hash: Hash
        public var unpack: UnpackOptions?

        public init(url: String, hash: Hash, unpack: UnpackOptions? = UnpackOptions()) {
            self.url = url
            self.hash = hash
            self.unpack = unpack
        }

        /// How the fetch layer sees this source.
        public var fetchable: URLSource { URLSource(url: url, hash: hash) }
    }

    public var name: String { didSet { hash = computeHash() } }
    public var version: String { didSet { hash = computeHash() } }
    public var system: String { didSet { hash = computeHash() } }
    public var sources: [Source] { didSet { hash = computeHash() } }
    /// Derivations whose outputs the build uses (on PATH, and as `$<name>`).
    public var dependencies: [Derivation] { didSet { hash = computeHash() } }
    /// A shell script that creates `$out`; without one the output is the single unpacked source.
    public var script: String? { didSet { hash = computeHash() } }
    /// Variables set for the build.
    public var environment: [String: String] { didSet { hash = computeHash() } }
    /// Directories of the output (relative to it; `.` for itself) that go on PATH for the builds
    /// of dependents and in environments.
    public var paths: [String] { didSet { hash = computeHash() } }
    /// Which relocation makes the output run from the store once it is made (prebuilt programs:
    /// docs/derivations.md, `Relocation`); 0: none. Several sources without a script are then
    /// unpacked into one tree. A version of its own, since what relocation does to the files
    /// decides the output as much as the sources do.
    public var relocation: Int { didSet { hash = computeHash() } }
    /// Links made in the output before it is relocated (path in the output → target as the
    /// programs see `/`), as Debian's alternatives make `/usr/bin/cc`.
    public var links: [String: String] { didSet { hash = computeHash() } }

    /// Whether the script runs where the host's `/usr`, `/bin` and `/lib*` do not exist: its
    /// tools, shell included, are its dependencies' (docs/derivations.md).
    public var hermetic: Bool { didSet { hash = computeHash() } }

    /// The relocation this devenv does (`relocation` of what it derives).
    public static let currentRelocation = 3

    public init(
        name: String, version: String, system: String, sources: [Source], dependencies: [Derivation] = [],
        script: String? = nil, environment: [String: String] = [:], paths: [String] = ["bin"], relocation: Int = 0,
        links: [String: String] = [:], hermetic: Bool = false
    ) {
        self.name = name
        self.version = version
        self.system = system
        self.sources = sources
        self.dependencies = dependencies
        self.script = script
        self.environment = environment
        self.paths = paths
        self.relocation = relocation
        self.links = links
        self.hermetic = hermetic
        hash = computeHash()
    }

    /// Whether `path` can be one of `paths`: `.`, or a relative path inside the output of
    /// letters, digits and `+-._` (it is written into the environment's build script).
    public static func isOutputDirectory(_ path: String) -> Bool {
        if path == "." { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !path.isEmpty
            && parts.allSatisfy { part in
                !part.isEmpty && part != "." && part != ".."
                    && part.utf8.allSatisfy { byte in
                        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "+-._".utf8.contains(byte)
                    }
            }
    }

    /// The absolute PATH entries of this derivation's output at `output`.
    public func searchPath(at output: String) -> [String] {
        paths.map { $0 == "." || $0.isEmpty ? output : output + "/" + $0 }
    }

    /// The store path name of the output: `<name>-<version>`.
    public var outputName: String { version.isEmpty ? name : "\(name)-\(version)" }

    /// The canonical form, with each dependency replaced by its own derivation hash, so a
    /// change anywhere below changes every path above.
    public var canonical: CanonicalJSON {
        var object: [String: CanonicalJSON] = [
            "name": .string(name),
            "version": .string(version),
            "system": .string(system),
            "sources": .array(
                sources.map { source in
                    .object([
                        "url": .string(source.url),
                        "hash": .string(source.hash.sri),
                        "unpack": source.unpack.map { unpack in
                            .object([
                                "strip": .integer(Int64(unpack.strip)),
                                "subdir": unpack.subdir.map(CanonicalJSON.string) ?? .null,
                            ])
                        } ?? .null,
                    ])
                }),
            "dependencies": .array(dependencies.map(\.hash.base16).sorted().map(CanonicalJSON.string)),
            "script": script.map(CanonicalJSON.string) ?? .null,
            "environment": .object(environment.mapValues(CanonicalJSON.string)),
            "paths": .array(paths.map(CanonicalJSON.string)),
        ]
        // Only when set, so that every derivation from before them keeps its hash (the first
        // relocation was written `true`).
        if relocation != 0 { object["relocate"] = Derivation.relocationJSON(relocation) }
        if !links.isEmpty { object["links"] = .object(links.mapValues(CanonicalJSON.string)) }
        if hermetic { object["hermetic"] = .bool(true) }
        return .object(object)
    }

    /// `relocation` as the canonical form and the lock write it.
    public static func relocationJSON(_ relocation: Int) -> CanonicalJSON {
        relocation == 1 ? .bool(true) : .integer(Int64(relocation))
    }

    /// Whether this derivation and every one below it that is relocated is relocated as this
    /// devenv relocates (a lock from before a change to relocation is locked again).
    public var relocatesCurrently: Bool {
        var seen: Set<Derivation> = []
        var pending = [self]
        while let derivation = pending.popLast() {
            guard seen.insert(derivation).inserted else { continue }
            if derivation.relocation != 0, derivation.relocation != Derivation.currentRelocation { return false }
            pending += derivation.dependencies
        }
        return true
    }

    /// Whether `path` can be a link made in the output: a relative path of the characters
    /// `isOutputDirectory` allows.
    public static func isLinkPath(_ path: String) -> Bool { path != "." && isOutputDirectory(path) }

    /// Whether `target` can be a link's target: an absolute or relative path of letters, digits
    /// and `+-._/` (no `..`, no empty parts).
    public static func isLinkTarget(_ target: String) -> Bool {
        let relative = target.hasPrefix("/") ? String(target.dropFirst()) : target
        return isOutputDirectory(relative) && relative != "."
    }

    /// SHA-256 of the canonical form; kept up to date as fields change, so that a chain of
    /// dependencies is hashed once, not again at every level above.
    public private(set) var hash = Hasher.hash(.sha256, [UInt8]())

    private func computeHash() -> Hash { Hasher.hash(.sha256, Array(canonical.serialized.utf8)) }

    /// Two derivations are the same when their canonical forms are (SHA-256 of them); comparing
    /// and hashing that, not the nested fields, keeps dictionaries of deep chains cheap.
    public static func == (lhs: Derivation, rhs: Derivation) -> Bool { lhs.hash == rhs.hash }

    /// The outputs of `derivations` and all below them in `here` → the same outputs in `there`
    /// (a derivation's hash does not depend on the store directory).
    public static func outputCounterparts(of derivations: [Derivation], in here: StoreDirectory, there: StoreDirectory)
        throws -> [StorePath: StorePath]
    {
        var names: [StorePath: StorePath] = [:]
        var seen: Set<Derivation> = []
        var pending = derivations
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            names[try next.outputPath(in: here)] = try next.outputPath(in: there)
            pending += next.dependencies
        }
        return names
    }

    public func hash(into hasher: inout Swift.Hasher) { hasher.combine(hash) }

    /// Where the output goes in `store`: an `output:out` store path over the derivation hash.
    public func outputPath(in store: StoreDirectory) throws -> StorePath {
        try store.outputPath(derivationHash: hash, output: "out", derivationName: outputName)
    }
}
