import ArgumentParser
import DevenvBasics
import DevenvPackages
import Foundation

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find packages of the default set (or, with --debian, of a Debian suite) by name or description.",
        discussion: """
            Every word of QUERY must occur in the name or the description (any case). Prints name, version and \
            description. With --debian, searches the suite's index (fetched once and cached); a package found \
            there is requested as debian:SUITE/NAME.
            """
    )

    @Argument(help: "Words to look for; none lists every package.")
    var query: [String] = []

    @OptionGroup var packageSet: PackageSetOption

    @Flag(help: "Search Debian's archive instead of the default set.")
    var debian = false

    @Option(help: "The Debian suite --debian searches.")
    var suite = "trixie"

    @Flag(help: "Print JSON.")
    var json = false

    struct DebianJSON: Encodable {
        var name: String
        var version: String
        var description: String
        var request: String
    }

    func run() throws {
        if debian { return try searchDebian() }
        let packages = try packageSet.directory.map(PackageSet.init(directory:)) ?? PackageSet.builtin
        let found = packages.search(query.joined(separator: " "))
        if json {
            try printJSON(found.map { PackageJSON($0, in: packages) })
        } else if found.isEmpty {
            printError("no package matches '\(query.joined(separator: " "))'")
            throw ExitCode(1)
        } else {
            printTable(found.map { ("\($0.name) \($0.version)", $0.description) })
        }
    }

    private func searchDebian() throws {
        let session = try Session()
        let found = try session.debian().search(query.joined(separator: " "), suite: suite, system: CurrentSystem.name)
        if json {
            try printJSON(
                found.map {
                    DebianJSON(
                        name: $0.name, version: $0.version.description, description: $0.summary,
                        request: "debian:\(suite)/\($0.name)")
                })
        } else if found.isEmpty {
            printError("no package of Debian's \(suite) matches '\(query.joined(separator: " "))'")
            throw ExitCode(1)
        } else {
            printTable(found.map { ("debian:\(suite)/\($0.name) \($0.version)", $0.summary) })
        }
    }

    /// Heads padded to one width, each followed by its description.
    private func printTable(_ rows: [(head: String, description: String)]) {
        let width = rows.map(\.head.count).max() ?? 0
        for row in rows {
            print(row.head + String(repeating: " ", count: width - row.head.count) + "  " + row.description)
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
        systems = recipe.systems.isEmpty ? ["any"] : recipe.systems
        aliases = packages.aliases(of: recipe.name)
    }
}
