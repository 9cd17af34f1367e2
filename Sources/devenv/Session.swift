import ArgumentParser
import DevenvBuild
import DevenvPackages
import DevenvShell
import DevenvStore

/// What most commands work with: the store, the user's configuration and the default package set.
struct Session {
    let store: Store
    let configuration: UserConfiguration
    private let packageSet: String?

    /// `packageSet`: a directory of recipe files to use instead of the built-in set.
    init(packageSet: String? = nil) throws {
        store = try Store()
        configuration = try UserConfiguration.load(from: UserConfiguration.path())
        self.packageSet = packageSet
    }

    /// The package set commands resolve names in (read when first asked for: entering a locked
    /// project never needs it).
    var packages: PackageSet {
        get throws { try packageSet.map(PackageSet.init(directory:)) ?? PackageSet.builtin }
    }

    /// Debian's archive as config.toml configures it, showing downloads on standard error.
    func debian() -> DebianSource { configuration.debianSource(store: store, progress: ConsoleProgress()) }

    /// A realizer that shows progress on standard error; `jobs` overrides the configuration.
    func realizer(jobs: Int? = nil) -> Realizer {
        var settings = configuration.build
        if let jobs { settings.jobs = jobs }
        return Realizer(store: store, settings: settings, progress: ConsoleProgress())
    }
}

/// The `--packages DIR` option of the commands that read a package set.
struct PackageSetOption: ParsableArguments {
    @Option(
        name: .customLong("packages"),
        help: "Use the package set in this directory (*.toml recipes) instead of the built-in one.")
    var directory: String?
}
