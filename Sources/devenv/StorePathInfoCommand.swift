import ArgumentParser
import DevenvStore
import Foundation

struct StorePathInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "path-info",
        abstract: "Show what the database records about store paths.",
        discussion: """
            Prints one line per path: the path, its NAR hash, its NAR size and, with --closure-size, \
            the total NAR size of its closure, separated by tabs. --json prints the fields of \
            `nix path-info --json`.
            """
    )

    @Argument(help: "Store paths, files inside them, or symlinks into the store.")
    var paths: [String]

    @Flag(name: .shortAndLong, help: "Show the whole closure of each path, dependencies first.")
    var recursive = false

    @Flag(name: [.customShort("S"), .long], help: "Also show the size of each path's closure.")
    var closureSize = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let store = try Store()
        let requested = try paths.map(store.storePath(containing:))
        let infos = recursive ? try store.closure(of: requested) : try requested.map(store.validPathInfo)
        let closureSizes = try infos.map { closureSize ? try store.closureSize(of: [$0.path]) : nil }
        if json {
            try printJSON(zip(infos, closureSizes).map { PathInfoJSON($0, closureSize: $1, in: store.directory) })
        } else {
            for (info, size) in zip(infos, closureSizes) {
                let fields = [store.directory.fullPath(of: info.path), info.narHash.sri, String(info.narSize)]
                print((fields + (size.map { [String($0)] } ?? [])).joined(separator: "\t"))
            }
        }
    }
}

/// The object `nix path-info --json` prints for a path.
struct PathInfoJSON: Encodable {
    var path: String
    var narHash: String
    var narSize: UInt64
    var references: [String]
    var registrationTime: Int64
    var deriver: String?
    var ca: String?
    var signatures: [String]?
    var closureSize: UInt64?

    init(_ info: PathInfo, closureSize: UInt64?, in directory: StoreDirectory) {
        path = directory.fullPath(of: info.path)
        narHash = info.narHash.sri
        narSize = info.narSize
        references = info.references.map(directory.fullPath(of:))
        registrationTime = info.registrationTime
        deriver = info.deriver.map(directory.fullPath(of:))
        ca = info.contentAddress?.description
        signatures = info.signatures.isEmpty ? nil : info.signatures
        self.closureSize = closureSize
    }
}
