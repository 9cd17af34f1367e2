import DevenvBuild
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

    public var name: String { derivation.name }
    public var version: String { derivation.version }
}

/// `devenv.lock`: the project's inputs and, for each shell and system, its packages, pinned so
/// that the lock alone reproduces the environment. JSON with a `version`, keys sorted, two-space
/// indentation and a final newline, so that locking twice changes nothing.
public struct Lockfile: Hashable, Sendable {
    public static let currentVersion: Int64 = 1

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
        .object([
            "version": .integer(Lockfile.currentVersion),
            "manifestHash": .string(manifestHash),
            "storeDir": .string(storeDirectory),
            "inputs": .object(
                inputs.mapValues { input in
                    var fields: [String: CanonicalJSON] = ["spec": .string(input.spec), "type": .string(input.type)]
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
                                        "derivation": package.derivation.lockJSON, "outPath": .string(package.outPath),
                                        "env": .object(package.environment.mapValues(CanonicalJSON.string)),
                                    ]
                                    if let narHash = package.narHash { fields["narHash"] = .string(narHash) }
                                    return .object(fields)
                                })
                        })
                }),
        ])
    }

    /// The lock with every output path computed for `store` (another machine's store directory
    /// gives other paths for the same derivations).
    public func relocated(to store: StoreDirectory) throws -> Lockfile {
        guard store.path != storeDirectory else { return self }
        var copy = self
        copy.storeDirectory = store.path
        copy.shells = try shells.mapValues { systems in
            try systems.mapValues { packages in
                try packages.map { package in
                    var package = package
                    package.outPath = store.fullPath(of: try package.derivation.outputPath(in: store))
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
        guard version <= Lockfile.currentVersion else {
            throw ProjectError(
                "devenv.lock has version \(version), newer than this devenv understands (\(Lockfile.currentVersion)); upgrade devenv"
            )
        }
        manifestHash = try root.string("manifestHash")
        storeDirectory = try root.string("storeDir")
        inputs = try root.object("inputs").mapValues { input in
            LockedInput(
                spec: try input.string("spec"), type: try input.string("type"), url: try input.optionalString("url"),
                path: try input.optionalString("path"), ref: try input.optionalString("ref"),
                rev: try input.optionalString("rev"),
                narHash: try input.optionalString("narHash"), lastModified: try input.optionalInteger("lastModified"))
        }
        shells = try root.object("shells").mapValues { systems in
            try systems.objectMembers().mapValues { packages in
                try packages.items().map { package in
                    LockedPackage(
                        request: try package.string("request"), input: try package.string("input"),
                        derivation: try Derivation(lockJSON: try package.field("derivation")),
                        outPath: try package.string("outPath"), narHash: try package.optionalString("narHash"),
                        environment: try package.stringMap("env"))
                }
            }
        }
    }

    /// Reads the lock at `path`, or nil when there is none.
    public static func load(from path: String) throws -> Lockfile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try Lockfile(parsing: String(decoding: data, as: UTF8.self))
    }

    /// Writes the lock atomically (a temporary file renamed over the old one).
    public func write(to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ProjectError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
