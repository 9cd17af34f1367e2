import ArgumentParser
import DevenvBasics
import DevenvPackages
import DevenvProject
import DevenvStore

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a package: versions, description, source, and its store path if realized."
    )

    @Argument(
        help: "A package or alias of the default set (e.g. go_1_24, nodejs), or debian:SUITE/PACKAGE.",
        completion: Completions.packages)
    var name: String

    @Option(help: "The system to describe the source and store path for (default: this one).")
    var system: String = CurrentSystem.name

    @OptionGroup var packageSet: PackageSetOption

    @Flag(help: "Print JSON.")
    var json = false

    struct InfoJSON: Encodable {
        var package: PackageJSON
        var versions: [String: String]
        var source: String?
        var dependencies: [String]
        var storePath: String?
        var realized: Bool
    }

    struct DebianInfoJSON: Encodable {
        var name: String
        var version: String
        var description: String
        var suite: String
        var architecture: String
        var closure: [String]
        var downloadSize: Int
        var installedSize: Int
        var storePath: String
        var realized: Bool
    }

    func run() throws {
        let session = try Session(packageSet: packageSet.directory)
        if name.hasPrefix("debian:") { return try describeDebian(session) }
        let packages = try session.packages
        let recipe = try packages.recipe(name)
        try PackageSet.checkAvailable(recipe)
        let versions = packages.versions(of: recipe.family)
        let attempt = Result { try packages.derivation(recipe.name, system: system) }
        let derivation = try? attempt.get()
        let path = try derivation.map { try $0.outputPath(in: session.store.directory) }
        let realized = try path.map(session.store.isValid) ?? false
        let fullPath = path.map(session.store.directory.fullPath(of:))
        if json {
            try printJSON(
                InfoJSON(
                    package: PackageJSON(recipe, in: packages),
                    versions: Dictionary(uniqueKeysWithValues: versions.map { ($0.name, $0.version) }),
                    source: recipe.sources[system]?.url, dependencies: recipe.dependencies, storePath: fullPath,
                    realized: realized))
            return
        }
        print("\(recipe.name) \(recipe.version)")
        print("  \(recipe.description)")
        print("  homepage:   \(recipe.homepage)")
        print("  license:    \(recipe.license)")
        print("  origin:     \(recipe.origin)")
        let aliases = packages.aliases(of: recipe.name)
        if !aliases.isEmpty { print("  aliases:    \(aliases.joined(separator: ", "))") }
        print("  versions:   " + versions.map { "\($0.name) (\($0.version))" }.joined(separator: ", "))
        print("  systems:    " + (recipe.systems.isEmpty ? "any" : recipe.systems.joined(separator: ", ")))
        if let debian = recipe.debian { print("  debian:     \(debian) (resolved with its closure when locked)") }
        if let source = recipe.sources[system] { print("  source:     \(source.url)") }
        if !recipe.dependencies.isEmpty { print("  depends on: \(recipe.dependencies.joined(separator: ", "))") }
        if let fullPath {
            print("  store path: \(fullPath) (\(realized ? "realized" : "not realized"))")
        } else if case .failure(let error) = attempt, recipe.systems.isEmpty || recipe.systems.contains(system) {
            // Known only once locked (a Debian package, or one built with them): say so, not "none".
            print("  store path: \(error)")
        } else {
            print("  store path: none for \(system)")
        }
    }

    /// `debian:SUITE/PACKAGE`: the package as its suite's index has it, with its closure's sizes.
    private func describeDebian(_ session: Session) throws {
        guard let reference = PackageRequest(name)?.debian else {
            throw ValidationError("'\(name)' is not debian:SUITE/PACKAGE")
        }
        let suite = reference.suite
        let resolved = try session.debian().resolve(reference.package, suite: suite, system: system)
        let output = try resolved.derivation.outputPath(in: session.store.directory)
        let path = session.store.directory.fullPath(of: output)
        let realized = try session.store.isValid(output)
        let download = resolved.closure.map(\.size).reduce(0, +)
        let installed = resolved.closure.map(\.installedSize).reduce(0, +) * 1024
        let binary = resolved.binary
        if json {
            try printJSON(
                DebianInfoJSON(
                    name: binary.name, version: binary.version.description, description: binary.summary, suite: suite,
                    architecture: resolved.suite.architecture,
                    closure: resolved.closure.map { "\($0.name) \($0.version)" }, downloadSize: download,
                    installedSize: installed, storePath: path, realized: realized))
            return
        }
        print("\(binary.name) \(binary.version) (Debian \(suite), \(resolved.suite.architecture))")
        print("  \(binary.summary)")
        print("  source:     \(binary.source) \(binary.sourceVersion)")
        print(
            "  closure:    \(resolved.closure.count) packages, \(Format.bytes(UInt64(download))) to download, "
                + "\(Format.bytes(UInt64(installed))) installed")
        print("  store path: \(path) (\(realized ? "realized" : "not realized"))")
    }
}
