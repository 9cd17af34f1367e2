import DevenvBasics
import DevenvBuild
import DevenvPackages
import DevenvStore
import Foundation

/// An input pinned: where it was fetched from and what it was (flake.lock's fields).
public struct LockedInput: Hashable, Sendable {
    /// The input as the manifest wrote it; a different spec makes the pin stale.
    public var spec: String
    public var type: String
    public var url: String?
    public var path: String?
    public var ref: String?
    public var rev: String?
    public var narHash: String?
    public var lastModified: Int64?
}

/// A package pinned for one shell and system: the request it answers, the complete derivation,
/// its output path and (once realized) NAR hash, and what it adds to an environment.
public struct LockedPackage: Hashable, Sendable {
    public var request: String
    public var input: String
    public var derivation: Derivation
    public var outPath: String
    public var narHash: String?
    /// The recipe's `env`, `$out` not yet replaced.
    public var environment: [String: String]
    /// For a `debian:` request: the suite, its date and every `.deb` of the closure.
    public var debian: DebianPin? = nil

    public var name: String { derivation.name }
    public var version: String { derivation.version }
}

/// `devenv.lock`: the project's inputs and, for each shell and system, its packages, pinned so
/// that the lock alone reproduces the environment. JSON with a `version`, keys sorted, two-space
/// indentation and a final newline, so that locking twice changes nothing.
public struct Lockfile: Hashable, Sendable {
    /// 2: derivations in one table, each once (1: nested in each package).
    public static let currentVersion: Int64 = 2

    /// SHA-256 over what of the manifest the lock depends on; a different one means stale.
    public var manifestHash: String
    /// The store directory the output paths were computed for.
    public var storeDirectory: String
    public var inputs: [String: LockedInput]
    /// Shell → system → packages, in the order the manifest lists them.
    public var shells: [String: [String: [LockedPackage]]]

    public init(
        manifestHash: String, storeDirectory: String, inputs: [String: LockedInput],
        shells: [String: [String: [LockedPackage]]]
    ) {
        self.manifestHash = manifestHash
        self.storeDirectory = storeDirectory
        self.inputs = inputs
        self.shells = shells
    }

    public var json: CanonicalJSON {
        let derivations = shells.values.flatMap { $0.values.flatMap { $0.map(\.derivation) } }
        return .object([
            "version": .integer(Lockfile.currentVersion),
            "derivations": .object(Derivation.lockTable(derivations)),
            "manifestHash": .string(manifestHash),
            "storeDir": .string(storeDirectory),
            "inputs": .object(
                inputs.mapValues { input in
                    var fields: [String: CanonicalJSON] = [
                        "spec": .string(input.spec), "type": .string(input.type),
                    ]
                    for (key, value) in [
                        ("url", input.url), ("path", input.path), ("ref", input.ref), ("rev", input.rev),
                        ("narHash", input.narHash),
                    ] {
                        if let value { fields[key] = .string(value) }
                    }
                    if let lastModified = input.lastModified { fields["lastModified"] = .integer(lastModified) }
                    return .object(fields)
                }),
            "shells": .object(
                shells.mapValues { systems in
                    .object(
                        systems.mapValues { packages in
                            .array(
                                packages.map { package in
                                    var fields: [String: CanonicalJSON] = [
                                        "request": .string(package.request), "input": .string(package.input),
                                        "derivation": .string(package.derivation.lockKey),
                                        "outPath": .string(package.outPath),
                                        "env": .object(package.environment.mapValues(CanonicalJSON.string)),
                                    ]
                                    if let narHash = package.narHash { fields["narHash"] = .string(narHash) }
                                    if let debian = package.debian { fields["debian"] = Lockfile.json(debian) }
                                    return .object(fields)
                                })
                        })
                }),
        ])
    }

    static func json(_ pin: DebianPin) -> CanonicalJSON {
        .object([
            "suite": .string(pin.suite), "date": .string(pin.date),
            "debs": .array(
                pin.debs.map { deb in
                    var fields: [String: CanonicalJSON] = [
                        "package": .string(deb.package), "version": .string(deb.version),
                        "architecture": .string(deb.architecture), "filename": .string(deb.filename),
                        "sha256": .string(deb.sha256), "size": .integer(Int64(deb.size)),
                    ]
                    // Only a base suite's (a backports package's dependency) is named: locks stay as they were.
                    if deb.suite != pin.suite { fields["suite"] = .string(deb.suite) }
                    return .object(fields)
                }),
        ])
    }

    /// A `debian` field as `json(_:)` writes it, every value checked as the index's are.
    private static func debianPin(_ reader: LockReader) throws -> DebianPin {
        let suite = try reader.string("suite")
        guard DebianDependency.isPackageName(suite) else {
            throw try reader.field("suite").error("\(suite.debugDescription) is not a Debian suite")
        }
        let date = try reader.string("date")
        guard DebianPin.isTimestamp(date) else {
            throw try reader.field("date").error("\(date.debugDescription) is not a time as YYYYMMDDTHHMMSSZ")
        }
        let debs = try reader.array("debs").map { deb -> DebianPin.Deb in
            let debSuite = try deb.optionalString("suite") ?? suite
            guard DebianDependency.isPackageName(debSuite) else {
                throw try deb.field("suite").error("\(debSuite.debugDescription) is not a Debian suite")
            }
            let package = try deb.string("package")
            let version = try deb.string("version")
            let filename = try deb.string("filename")
            let sha256 = try deb.string("sha256")
            let size = try deb.integer("size")
            guard DebianDependency.isPackageName(package) else {
                throw try deb.field("package").error("\(package.debugDescription) is not a Debian package name")
            }
            guard DebianVersion(version) != nil else {
                throw try deb.field("version").error("\(version.debugDescription) is not a Debian version")
            }
            guard DebianBinary.isPoolPath(filename) else {
                throw try deb.field("filename").error("\(filename.debugDescription) is not a pool path")
            }
            guard DebianBinary.isSHA256(sha256) else {
                throw try deb.field("sha256").error("\(sha256.debugDescription) is not a SHA-256 in hex")
            }
            guard size >= 0 else { throw try deb.field("size").error("must not be negative") }
            return DebianPin.Deb(
                suite: debSuite, package: package, version: version, architecture: try deb.string("architecture"),
                filename: filename,
                sha256: sha256, size: Int(size))
        }
        return DebianPin(suite: suite, date: date, debs: debs)
    }

    /// Where realizing the lock may fetch a source that cannot be had where its derivation says:
    /// each pinned `.deb` from Debian's snapshot of its pin's date.
    public var fetchFallbacks: [String: [String]] {
        var fallbacks: [String: [String]] = [:]
        for package in shells.values.flatMap(\.values).joined() {
            if let pin = package.debian { fallbacks.merge(pin.snapshotFallbacks) { first, _ in first } }
        }
        return fallbacks
    }

    /// The lock with every output path computed for `store` (another machine's store directory
    /// gives other paths for the same derivations), and no NAR hashes of outputs there.
    public func relocated(to store: StoreDirectory) throws -> Lockfile {
        guard store.path != storeDirectory else { return self }
        var copy = self
        copy.storeDirectory = store.path
        copy.shells = try shells.mapValues { systems in
            try systems.mapValues { packages in
                try packages.map { package in
                    var package = package
                    package.outPath = store.fullPath(of: try package.derivation.outputPath(in: store))
                    // Recorded for the lock's store directory: an output that holds its own path
                    // or its dependencies' (relocated programs, scripts) has another NAR here.
                    package.narHash = nil
                    return package
                }
            }
        }
        return copy
    }

    /// What the lock pins, without what using it adds or what depends on the machine (NAR hashes
    /// of outputs, output paths, the store directory): two locks with the same identity give the
    /// same environments.
    public static func identity(ofText text: String) -> String {
        guard case .object(var top)? = try? CanonicalJSON(parsing: text) else { return text }
        top["storeDir"] = nil
        if case .object(let shells)? = top["shells"] {
            top["shells"] = .object(
                shells.mapValues { systems in
                    guard case .object(let bySystem) = systems else { return systems }
                    return .object(
                        bySystem.mapValues { packages in
                            guard case .array(let list) = packages else { return packages }
                            return .array(
                                list.map { package in
                                    guard case .object(var fields) = package else { return package }
                                    fields["narHash"] = nil
                                    fields["outPath"] = nil
                                    return .object(fields)
                                })
                        })
                })
        }
        return CanonicalJSON.object(top).serialized
    }

    /// The exact text of the lock file.
    public var text: String { json.pretty }

    /// Reads a lock strictly: a lock comes with a cloned repository, so every field is checked
    /// (types, versions, that each input's type is its spec's, known systems, variable names,
    /// directories inside outputs) and each output path must be the one its derivation gives.
    public init(parsing text: String) throws {
        let root: LockReader
        do {
            root = LockReader(try CanonicalJSON(parsing: text))
        } catch let error as ProjectError {
            throw error
        } catch {
            throw ProjectError("devenv.lock is not valid JSON: \(error)")
        }
        let version = try root.integer("version")
        guard version >= 1 else { throw try root.field("version").error("must be at least 1, not \(version)") }
        guard version <= Lockfile.currentVersion else {
            throw ProjectError(
                "devenv.lock has version \(version), newer than this devenv understands (\(Lockfile.currentVersion)); upgrade devenv"
            )
        }
        manifestHash = try root.string("manifestHash")
        storeDirectory = try root.string("storeDir")
        guard storeDirectory.hasPrefix("/") else {
            throw try root.field("storeDir").error("must be an absolute path, not \(storeDirectory.debugDescription)")
        }
        inputs = try root.object("inputs").mapValues(Lockfile.input)
        let store = StoreDirectory(storeDirectory)
        let inputNames = Set(inputs.keys)
        let table = version >= 2 ? try Derivation.fromLockTable(try root.object("derivations")) : nil
        func derivation(of package: LockReader) throws -> Derivation {
            let field = try package.field("derivation")
            guard let table else { return try Derivation(nestedLockJSON: field) }
            let key = try field.asString()
            guard let derivation = table[key] else { throw field.error("names \(key), which derivations lacks") }
            return derivation
        }
        shells = try root.object("shells").mapValues { systems in
            try systems.objectMembers().reduce(into: [:]) { bySystem, member in
                let (system, packages) = member
                if let problem = CurrentSystem.problem(with: system) { throw packages.error(problem) }
                bySystem[system] = try packages.items().map { package in
                    try Lockfile.package(
                        package, derivation: try derivation(of: package), store: store, system: system,
                        inputs: inputNames)
                }
            }
        }
    }

    private static func input(_ input: LockReader) throws -> LockedInput {
        let locked = LockedInput(
            spec: try input.string("spec"), type: try input.string("type"), url: try input.optionalString("url"),
            path: try input.optionalString("path"), ref: try input.optionalString("ref"),
            rev: try input.optionalString("rev"),
            narHash: try input.optionalString("narHash"), lastModified: try input.optionalInteger("lastModified"))
        guard let spec = InputSpec(locked.spec) else {
            throw try input.field("spec").error("\(locked.spec.debugDescription) is not an input spec")
        }
        guard spec.type == locked.type else {
            throw try input.field("type")
                .error(
                    "is \(locked.type.debugDescription), but the spec \(locked.spec.debugDescription) is a \(spec.type) input"
                )
        }
        if let narHash = locked.narHash, (try? Hash(parsing: narHash)) == nil {
            throw try input.field("narHash").error("\(narHash.debugDescription) is not a hash")
        }
        if case .git = spec,
            locked.url == nil || locked.rev?.count != 40 || locked.rev?.allSatisfy(\.isHexDigit) != true
        {
            throw input.error("is a git input without its url and 40-digit rev")
        }
        if case .path = spec, locked.path == nil { throw input.error("is a path input without its path") }
        if let lastModified = locked.lastModified, lastModified < 0 {
            throw try input.field("lastModified").error("must not be negative")
        }
        return locked
    }

    /// A package of `system`'s list, whose `input` must be one of `inputs` (or, for a `debian:`
    /// request, its suite).
    private static func package(
        _ package: LockReader, derivation: Derivation, store: StoreDirectory, system: String, inputs: Set<String>
    ) throws -> LockedPackage {
        let locked = LockedPackage(
            request: try package.string("request"), input: try package.string("input"), derivation: derivation,
            outPath: try package.string("outPath"), narHash: try package.optionalString("narHash"),
            environment: try package.variables("env"), debian: try package.optionalObject("debian").map(debianPin))
        guard let request = PackageRequest(locked.request) else {
            throw try package.field("request").error("\(locked.request.debugDescription) is not a package request")
        }
        // A `debian:` request's input is its suite, which 'inputs' does not list.
        if let reference = request.debian {
            guard locked.debian?.suite == reference.suite, request.inputName == locked.input else {
                throw try package.field("input").error(
                    "\(locked.input.debugDescription) is not the Debian suite of \(locked.request.debugDescription)")
            }
        }
        let expected: String
        do {
            expected = store.fullPath(of: try locked.derivation.outputPath(in: store))
        } catch {
            throw try package.field("derivation").error("has no output path: \(error)")
        }
        guard locked.outPath == expected else {
            throw try package.field("outPath").error("is not the output path of its derivation (\(expected))")
        }
        if let narHash = locked.narHash, (try? Hash(parsing: narHash)) == nil {
            throw try package.field("narHash").error("\(narHash.debugDescription) is not a hash")
        }
        guard locked.derivation.system == system else {
            throw try package.field("derivation").error("is for \(locked.derivation.system), not \(system)")
        }
        guard request.debian != nil || inputs.contains(locked.input) else {
            throw try package.field("input").error("names \(locked.input.debugDescription), which 'inputs' lacks")
        }
        return locked
    }

    /// Reads the lock at `path`, or nil when there is none.
    public static func load(from path: String) throws -> Lockfile? {
        try FileManager.default.contents(atPath: path).map(Lockfile.init(bytes:))
    }

    /// Reads a lock from the bytes of `devenv.lock` (which must be UTF-8: invalid bytes would
    /// be replaced silently, changing a value).
    public init(bytes data: Data) throws {
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ProjectError("devenv.lock is not valid UTF-8")
        }
        try self.init(parsing: text)
    }

    /// Writes the lock atomically (a temporary file renamed over the old one).
    public func write(to path: String) throws { try ProjectFiles.write(text, to: path) }
}
