import ArgumentParser
import DevenvStore

struct StoreRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Unpack a NAR from standard input into a new path (like `nix-store --restore`).",
        discussion: """
            The NAR is checked strictly (canonical order, names, padding, lengths); DEST appears only \
            when the whole archive was valid, and an existing DEST is never overwritten.
            """
    )

    @Argument(help: "Where to create the file, symlink or directory; must not exist.")
    var destination: String

    func run() throws {
        try NarReader.restore(from: 0, to: destination)
    }
}
