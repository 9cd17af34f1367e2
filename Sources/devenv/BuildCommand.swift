import ArgumentParser
import DevenvBasics
import DevenvPackages
import DevenvProject
import DevenvStore

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Realize packages of the default set and print their store paths.",
        discussion: """
            Like `nix build --print-out-paths`: fetches, verifies, unpacks and builds what is not in \
            the store yet (with progress on standard error), then prints one store path per package.
            """
    )

    @Argument(
        help: "Packages or aliases of the default set (NAME or NAME@VERSION), or debian:SUITE/PACKAGE.",
        completion: Completions.packages)
    var names: [String]

    @Option(
        name: .customShort("j"),
        help: "How many derivations to realize at once (default: the configuration's jobs, else one per core).")
    var jobs: Int?

    @OptionGroup var packageSet: PackageSetOption

    @Flag(help: "Print JSON: one object per package with its name, version, system and output path.")
    var json = false

    struct BuiltJSON: Encodable {
        var name: String
        var version: String
        var system: String
        var outputs: [String: String]
    }

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("-j must be at least 1") }
    }

    func run() throws {
        let session = try Session(packageSet: packageSet.directory)
        let packages = try session.packages
        let derivations = try AdHocWorkspace(store: session.store, packages: packages, debian: session.debian())
            .resolve(names).map(\.derivation)
        let paths = try session.realizer(jobs: jobs).realize(derivations).map(session.store.directory.fullPath(of:))
        if json {
            try printJSON(
                zip(derivations, paths).map {
                    BuiltJSON(name: $0.name, version: $0.version, system: $0.system, outputs: ["out": $1])
                })
        } else {
            for path in paths { print(path) }
        }
    }
}
