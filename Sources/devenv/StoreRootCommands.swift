import ArgumentParser
import DevenvBasics
import DevenvStore

struct StoreAddRootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-root", abstract: "Keep store paths (and their closures) from garbage collection.")

    @Argument(help: "Store paths, files inside them, or symlinks into the store.")
    var paths: [String]

    func run() throws {
        let store = try Store()
        for path in paths { try store.addRoot(try store.storePath(containing: path)) }
    }
}

struct StoreRemoveRootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-root", abstract: "Undo `store add-root`: the paths may be collected again.")

    @Argument(help: "Store paths, files inside them, or symlinks into the store.")
    var paths: [String]

    func run() throws {
        let store = try Store()
        for path in paths { try store.removeRoots(kind: .explicit, path: try store.storePath(containing: path)) }
    }
}

struct StoreWhyDependsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "why-depends",
        abstract: "Show why A depends on B: a shortest chain of references from A to B.",
        discussion: """
            Under each path of the chain but the last, the file of it that names the next one \
            (relative to the path; a link's target counts) and the text around the reference, \
            as `nix why-depends --precise` shows them.
            """
    )

    @Argument(help: "The path that depends.") var from: String
    @Argument(help: "The path it depends on.") var to: String

    func run() throws {
        let store = try Store()
        let chain = try store.referenceChain(
            from: store.storePath(containing: from), to: store.storePath(containing: to))
        for (depth, path) in chain.enumerated() {
            let indent = String(repeating: "  ", count: depth)
            print(indent + (depth == 0 ? "" : "→ ") + store.directory.fullPath(of: path))
            guard depth + 1 < chain.count, let site = try store.referenceSite(in: path, of: chain[depth + 1]) else {
                continue
            }
            // Names and bytes from inside the path, which a cache gave.
            print(
                TerminalText.shown(
                    indent + "  " + (site.file.isEmpty ? "(the path itself)" : site.file) + ": " + site.context))
        }
    }
}
