import ArgumentParser
import DevenvStore

struct StoreAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Copy files or directories into the store and print their store paths.",
        discussion: "Like `nix-store --add`: the path is named after the NAR hash of the content and the file's name."
    )

    @Argument(help: "Files or directories to add.")
    var paths: [String]

    func run() throws {
        let store = try Store()
        for path in paths {
            print(store.directory.fullPath(of: try store.add(path)))
        }
    }
}
