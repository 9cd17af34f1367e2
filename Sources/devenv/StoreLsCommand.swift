import ArgumentParser
import DevenvStore

struct StoreLsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List every valid store path, one per line, sorted."
    )

    func run() throws {
        let store = try Store()
        for path in try store.validPaths() { print(store.directory.fullPath(of: path)) }
    }
}
