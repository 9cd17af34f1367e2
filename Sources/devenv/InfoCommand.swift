import ArgumentParser
import DevenvBasics
import DevenvPackages
import DevenvStore

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a package: versions, description, source, and its store path if realized."
    )

    @Argument(help: "A package or alias of the default set (e.g. go_1_24, nodejs).", completion: Completions.packages)
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

    func run() throws {
        let session = try Session(packageSet: packageSet.directory)
        let packages = try session.packages
        let recipe = try packages.recipe(name)
        let versions = packages.versions(of: recipe.family)
        let derivation = try? packages.derivation(recipe.name, system: system)
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
        print("  systems:    " + (recipe.sources.isEmpty ? "any" : recipe.systems.joined(separator: ", ")))
        if let source = recipe.sources[system] { print("  source:     \(source.url)") }
        if !recipe.dependencies.isEmpty { print("  depends on: \(recipe.dependencies.joined(separator: ", "))") }
        if let fullPath {
            print("  store path: \(fullPath) (\(realized ? "realized" : "not realized"))")
        } else {
            print("  store path: none for \(system)")
        }
    }
}
