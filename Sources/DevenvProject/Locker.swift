import DevenvBasics
import DevenvBuild
import DevenvPackages
import DevenvStore
import Foundation

/// Creates and updates `devenv.lock`: inputs are pinned, and every package request of every
/// shell is resolved to a complete derivation for each system. What the old lock already
/// answers (same request, same pinned input) is kept as it is.
public struct Locker {
    let store: Store
    let root: String
    /// Where `debian:` requests are resolved (nil: Debian's archive with the default settings).
    let debian: DebianSource

    public init(store: Store, root: String, debian: DebianSource? = nil) {
        self.store = store
        self.root = root
        self.debian = debian ?? DebianSource(store: store)
    }

    /// SHA-256 (hex) over what of the manifest the lock depends on: systems, inputs, and each
    /// shell's (and container's) package requests. Env, hooks, checks and scripts do not make a lock stale.
    public static func manifestHash(_ manifest: Manifest) -> String {
        let json = CanonicalJSON.object([
            "systems": .array(manifest.systems.map(CanonicalJSON.string)),
            "inputs": .object(manifest.inputs.mapValues { .string($0.description) }),
            "shells": .object(manifest.lockedShells.mapValues { .array($0.packages.map { .string($0.description) }) }),
        ])
        return Hasher.hash(.sha256, Array(json.serialized.utf8)).base16
    }

    /// Whether `lock` answers `manifest` as it is.
    public static func isCurrent(_ lock: Lockfile, for manifest: Manifest) -> Bool {
        lock.manifestHash == manifestHash(manifest)
    }

    /// The lock for `manifest`, keeping what `previous` pins except the inputs named in
    /// `updating` (nil: none; empty set: all), which move to their newest revision.
    public func lock(_ manifest: Manifest, previous: Lockfile?, updating: Set<String>? = nil) throws -> Lockfile {
        let previous = try previous?.relocated(to: store.directory)
        if let updating {
            for name in updating.sorted() where manifest.inputs[name] == nil {
                throw ProjectError(
                    "devenv.toml has no input '\(name)' (it has: \(manifest.inputs.keys.sorted().joined(separator: ", ")))"
                )
            }
        }
        var resolved: [String: ResolvedInput] = [:]
        let resolver = InputResolver(store: store, root: root)
        for (name, spec) in manifest.inputs.sorted(by: { $0.key < $1.key }) {
            let moving = updating.map { $0.isEmpty || $0.contains(name) } ?? false
            let place = manifest.inputLocations[name] ?? "devenv.toml"
            do {
                resolved[name] = try resolver.resolve(
                    name, spec: spec, pinned: moving ? nil : previous?.inputs[name], place: place)
            } catch let error as ManifestError {
                throw error
            } catch {
                throw ProjectError("\(place): input '\(name)': \(error)")
            }
        }
        var shells: [String: [String: [LockedPackage]]] = [:]
        for (shellName, shell) in manifest.lockedShells {
            for system in manifest.systems {
                shells[shellName, default: [:]][system] = try shell.packages.map { request in
                    let kept = previous?.shells[shellName]?[system]?.first {
                        $0.request == request.description && $0.input == request.inputName
                    }
                    do {
                        // A package stays as pinned while its input does (a `debian:` request has
                        // none), except that `devenv update` (all) reads each Debian suite anew,
                        // and one locked for an older relocation is locked again.
                        let input = resolved[request.inputName]
                        let refresh = updating?.isEmpty == true
                        if let kept, previous?.inputs[request.inputName] == input?.locked,
                            !(refresh && kept.debian != nil), kept.derivation.relocatesCurrently
                        {
                            return kept
                        }
                        return try resolve(request, in: input?.packages, system: system, refresh: refresh)
                    } catch let error as ProjectError {
                        throw ManifestError("\(shell.locations[request.description] ?? "devenv.toml"): \(error)")
                    } catch let error as PackageError {
                        throw ManifestError("\(shell.locations[request.description] ?? "devenv.toml"): \(error)")
                    }
                }
            }
        }
        return Lockfile(
            manifestHash: Locker.manifestHash(manifest), storeDirectory: store.directory.path,
            inputs: resolved.mapValues(\.locked), shells: shells)
    }

    /// Packages (of the set, or `debian:` ones) resolved for `system` outside any manifest (for
    /// ad-hoc environments and `devenv build`).
    public func resolve(_ requests: [PackageRequest], in packages: PackageSet, system: String) throws -> [LockedPackage]
    {
        try requests.map { try resolve($0, in: packages, system: system, refresh: false) }
    }

    /// A `debian:SUITE/PACKAGE` request.
    private func resolve(
        _ request: PackageRequest, debian reference: DebianSource.Reference, system: String, refresh: Bool
    ) throws -> LockedPackage {
        let resolved = try debian.resolve(reference.package, suite: reference.suite, system: system, refresh: refresh)
        return LockedPackage(
            request: request.description, input: request.inputName, derivation: resolved.derivation,
            outPath: store.directory.fullPath(of: try resolved.derivation.outputPath(in: store.directory)),
            narHash: nil, environment: [:], debian: resolved.pin)
    }

    /// `request` of `packages` (the set of its input; none for a `debian:` request); `refresh`
    /// reads a Debian suite's index anew.
    private func resolve(_ request: PackageRequest, in packages: PackageSet?, system: String, refresh: Bool) throws
        -> LockedPackage
    {
        if let reference = request.debian {
            return try resolve(request, debian: reference, system: system, refresh: refresh)
        }
        guard let packages else { throw ProjectError("devenv.toml has no input '\(request.inputName)'") }
        let recipe: Recipe
        if let prefix = request.versionPrefix {
            let family = (try? packages.recipe(request.name).family) ?? request.name
            let candidates = packages.versions(of: family).filter {
                PackageRequest.version($0.version, matches: prefix)
            }
            guard let newest = candidates.last else {
                let versions = packages.versions(of: family).map(\.version).joined(separator: ", ")
                throw ProjectError(
                    "no version of '\(request.name)' matches @\(prefix)"
                        + (versions.isEmpty ? "" : " (there are: \(versions))"))
            }
            recipe = newest
        } else {
            recipe = try packages.recipe(request.name)
        }
        try PackageSet.checkAvailable(recipe)
        // The recipe, or what it depends on, may be Debian's (a compiler): pinned as a Debian package's are.
        var pins: [DebianPin] = []
        let derivation = try packages.derivation(recipe.name, system: system) { debianRecipe in
            let resolved = try self.debian.resolve(debianRecipe, system: system, refresh: refresh)
            pins.append(resolved.pin)
            return resolved.derivation
        }
        return LockedPackage(
            request: request.description, input: request.inputName, derivation: derivation,
            outPath: store.directory.fullPath(of: try derivation.outputPath(in: store.directory)), narHash: nil,
            environment: recipe.environment, debian: try DebianPin(merging: pins, for: recipe.name))
    }
}

extension Locker {
    /// The lock with the NAR hash of each package output of this system recorded. With a
    /// `realizer`, every such package is realized first (what `devenv lock` does, so that the
    /// lock it writes is complete); without one, only outputs already in the store are hashed.
    /// Writing the lock is the caller's, once: realizing later never adds to it.
    public func withNarHashes(_ lock: Lockfile, realizing realizer: Realizer? = nil) throws -> Lockfile {
        var updated = lock
        if let realizer {
            let derivations = Set(lock.shells.values.compactMap { $0[CurrentSystem.name] }.joined().map(\.derivation))
            _ = try realizer.with(fallbacks: lock.fetchFallbacks).realize(
                derivations.sorted { $0.hash.base16 < $1.hash.base16 })
        }
        for (shell, systems) in lock.shells {
            for (system, packages) in systems {
                updated.shells[shell]![system] = try packages.map { package in
                    var package = package
                    if package.narHash == nil, let path = try? store.directory.storePath(parsing: package.outPath),
                        let info = try store.pathInfo(path)
                    {
                        package.narHash = info.narHash.sri
                    }
                    return package
                }
            }
        }
        return updated
    }
}
