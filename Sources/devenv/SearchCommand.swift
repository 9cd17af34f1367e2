import ArgumentParser
import DevenvPackages
import Foundation

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find packages of the default set by name or description.",
        discussion:
            "Every word of QUERY must occur in the name or the description (any case). Prints name, version and description."
    )

    @Argument(help: "Words to look for; none lists every package.")
    var query: [String] = []

    @OptionGroup var packageSet: PackageSetOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let packages = try packageSet.directory.map(PackageSet.init(directory:)) ?? PackageSet.builtin
        let found = packages.search(query.joined(separator: " "))
        if json {
            try printJSON(found.map { PackageJSON($0, in: packages) })
        } else if found.isEmpty {
            printError("no package matches '\(query.joined(separator: " "))'")
            throw ExitCode(1)
        } else {
            let width = found.map { "\($0.name) \($0.version)".count }.max() ?? 0
            for recipe in found {
                let head = "\(recipe.name) \(recipe.version)"
                print(head + String(repeating: " ", count: width - head.count) + "  " + recipe.description)
            }
        }
    }
}

/// A package as `search --json` and `info --json` print it.
struct PackageJSON: Encodable {
    var name: String
    var version: String
    var description: String
    var homepage: String
    var license: String
    var origin: String
    var systems: [String]
    var aliases: [String]

    init(_ recipe: Recipe, in packages: PackageSet) {
        name = recipe.name
        version = recipe.version
        description = recipe.description
        homepage = recipe.homepage
        license = recipe.license
        origin = recipe.origin
        systems = recipe.sources.isEmpty ? ["any"] : recipe.systems
        aliases = packages.aliases(of: recipe.name)
    }
}
