import DevenvBasics
import DevenvBuild
import DevenvPackages
import DevenvStore
import Foundation

/// The user's own packages, outside any project (like `nix profile`): a project devenv keeps at
/// `$DEVENV_HOME/profile` (its devenv.toml lists the packages), with generations like any
/// project, and `$DEVENV_HOME/bin` linked to the current environment's programs (wrapped, so that
/// each gets its package's variables: Go its GOROOT and GOTOOLCHAIN).
public struct Profile: Sendable {
    public let store: Store
    public var project: Project { Profile.project(home: store.location.home) }
    /// The directory to put on PATH.
    public var bin: String { store.location.home + "/bin" }

    public init(store: Store) { self.store = store }

    /// The profile's project for the devenv home `home`.
    public static func project(home: String) -> Project { Project(root: home + "/profile") }

    /// The package requests of the profile, in order.
    public func requests() throws -> [String] {
        guard FileManager.default.fileExists(atPath: project.manifestPath) else { return [] }
        return try project.manifest().shells[Manifest.defaultShell]?.packages.map(\.description) ?? []
    }

    /// The package set the profile resolves in, when it is not the built-in one.
    public func packageSet() throws -> String? {
        guard FileManager.default.fileExists(atPath: project.manifestPath),
            case .path(let directory)? = try project.manifest().inputs[PackageRequest.defaultInput]
        else { return nil }
        return directory
    }

    /// Adds packages (`NAME`, `NAME@VERSION` or `debian:SUITE/PACKAGE`; one of a name replaces the one there), resolved
    /// in the set at `packageSet` (a directory), else in the set the profile uses already.
    public func install(_ packages: [String], packageSet: String? = nil) throws {
        var requests = try requests()
        for package in packages {
            let request = try PackageRequest.ofTheSet(package)
            requests.removeAll { PackageRequest($0)?.name == request.name }
            requests.append(request.description)
        }
        try setRequests(requests, packageSet: try packageSet ?? self.packageSet())
    }

    /// Removes packages by the name they were installed with.
    public func remove(_ packages: [String]) throws {
        let requests = try requests()
        let kept = requests.filter { request in
            !packages.contains { $0 == request || PackageRequest($0)?.name == PackageRequest(request)?.name }
        }
        guard kept.count < requests.count else {
            throw ProjectError("the profile has none of \(packages.joined(separator: ", "))")
        }
        try setRequests(kept, packageSet: try packageSet())
    }

    /// Writes the profile's devenv.toml for `requests` (devenv owns the whole file), resolving
    /// them in the package set at `packageSet` (a directory) or in the built-in set.
    public func setRequests(_ requests: [String], packageSet: String? = nil) throws {
        try FileManager.default.createDirectory(atPath: project.root, withIntermediateDirectories: true)
        let list = requests.map { "\"\($0)\"" }.joined(separator: ", ")
        let inputs = packageSet.map { "[inputs]\npkgs = \"path:\($0)\"\n\n" } ?? ""
        let text = "# The packages of `devenv profile`; written by devenv.\n\n\(inputs)[shell]\npackages = [\(list)]\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: project.manifestPath), options: .atomic)
    }

    /// Locks (moving every input to its newest when `upgrade`; `debian:` packages in `debian`),
    /// realizes and links `bin`.
    public func apply(realizer: Realizer, upgrade: Bool = false, debian: DebianSource? = nil) throws -> Environment {
        let manifest = try project.manifest()
        let previous = try project.lock()
        if upgrade || previous.map({ !Locker.isCurrent($0, for: manifest) }) ?? true {
            let locker = Locker(store: store, root: project.root, debian: debian)
            try locker.withNarHashes(
                locker.lock(manifest, previous: previous, updating: upgrade ? [] : nil), realizing: realizer
            ).write(to: project.lockPath)
        }
        let workspace = try Workspace(project: project, store: store, policy: .frozen)
        // Wrapped: no shell applies the packages' variables to what runs from the profile.
        let (environment, path) = try workspace.realize(
            shell: Manifest.defaultShell, realizer: realizer, wrapped: true)
        try link(path)
        return environment
    }

    /// The profile's packages as locked for this system.
    public func packages() throws -> [LockedPackage] {
        try project.lock()?.relocated(to: store.directory).shells[Manifest.defaultShell]?[CurrentSystem.name] ?? []
    }

    /// Goes back to generation `number` (default: the previous one), recorded as a new
    /// generation, and links `bin` to its environment.
    public func rollback(to number: Int?) throws -> (target: Generation, now: Generation) {
        let (target, now) = try Generations(root: project.root, store: store).rollback(to: number)
        guard let environment = now.environments[Manifest.defaultShell] else {
            throw ProjectError("generation \(target.number) has no environment")
        }
        try link(environment)
        return (target, now)
    }

    /// Points `bin` at the environment's programs, atomically.
    public func link(_ environmentPath: String) throws {
        let temporary = bin + ".new-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: environmentPath + "/bin")
        guard rename(temporary, bin) == 0 else {
            throw ProjectError("cannot link \(bin): \(SystemCall.message())")
        }
    }
}
