import ArgumentParser
import DevenvStore

struct StoreDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write the NAR serialization of a path to standard output (like `nix-store --dump`)."
    )

    @Argument(help: "A file, directory or symlink; it need not be in the store.")
    var path: String

    func run() throws {
        try Nar.dump(path, to: 1)
    }
}
