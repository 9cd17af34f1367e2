import DevenvBasics
import DevenvBuild
import DevenvPackages
import DevenvStore

/// Packages outside any project (`devenv shell`, like `nix shell`): resolved in a package set
/// for this system and joined into an environment, with no manifest and no lock.
public struct AdHocWorkspace {
    /// The name such environments have (`DEVENV_SHELL`).
    public static let shellName = "adhoc"

    public let store: Store
    public let packages: PackageSet
    /// Where the set's Debian packages are resolved.
    public let debian: DebianSource?

    public init(store: Store, packages: PackageSet, debian: DebianSource? = nil) {
        self.store = store
        self.packages = packages
        self.debian = debian
    }

    /// `names` (see `PackageRequest.ofTheSet`) resolved for this system, as a lock would pin them.
    public func resolve(_ names: [String]) throws -> [LockedPackage] {
        try Locker(store: store, root: "/", debian: debian).resolve(
            names.map(PackageRequest.ofTheSet), in: packages, system: CurrentSystem.name)
    }

    /// Realizes the environment of `names` (as `resolve` takes them), kept rooted for
    /// as long as this process (or what it execs) runs; returns it and its store path.
    public func realize(_ names: [String], realizer: Realizer) throws -> (environment: Environment, path: String) {
        let locked = try resolve(names)
        let environment = Environment(shell: AdHocWorkspace.shellName, system: CurrentSystem.name, packages: locked)
        let realized = try realizer.realize([environment.derivation])[0]
        try store.addTemporaryRoot(realized)
        return (environment, store.directory.fullPath(of: realized))
    }
}
