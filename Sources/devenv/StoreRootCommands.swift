import ArgumentParser
import DevenvStore

struct StoreAddRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-root", abstract: "Keep store paths (and their closures) from garbage collection.")

    @Argument(help: "Store paths, files inside them, or symlinks into the store.")
    var paths: [String]

    func run() throws {
        let store = try Store()
        for path in paths { try store.addRoot(try store.storePath(containing: path)) }
    }
}

struct StoreRemoveRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-root", abstract: "Undo `store add-root`: the paths may be collected again.")

    @Argument(help: "Store paths, files inside them, or symlinks into the store.")
    var paths: [String]

    func run() throws {
        let store = try Store()
        for path in paths { try store.removeRoots(kind: .explicit, path: try store.storePath(containing: path)) }
    }
}

struct StoreWhyDepends: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "why-depends",
        abstract: "Show why A depends on B: a shortest chain of references from A to B."
    )

    @Argument(help: "The path that depends.") var from: String
    @Argument(help: "The path it depends on.") var to: String

    func run() throws {
        let store = try Store()
        let start = try store.storePath(containing: from)
        let goal = try store.storePath(containing: to)
        var previous: [StorePath: StorePath] = [:]
        var queue = [start]
        var seen: Set<StorePath> = [start]
        while !queue.isEmpty, !seen.contains(goal) || start == goal {
            let path = queue.removeFirst()
            for reference in try store.validPathInfo(path).references where seen.insert(reference).inserted {
                previous[reference] = path
                queue.append(reference)
            }
            if start == goal { break }
        }
        guard seen.contains(goal) else {
            throw StoreError(
                "'\(store.directory.fullPath(of: start))' does not depend on '\(store.directory.fullPath(of: goal))'")
        }
        var chain = [goal]
        while let step = previous[chain[0]] { chain.insert(step, at: 0) }
        for (depth, path) in chain.enumerated() {
            print(String(repeating: "  ", count: depth) + (depth == 0 ? "" : "→ ") + store.directory.fullPath(of: path))
        }
    }
}
