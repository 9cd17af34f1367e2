import ArgumentParser
import DevenvStore

struct StoreVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that the database and the store directory agree.",
        discussion: """
            Reports registered paths missing on disk, paths on disk that are not registered, entries \
            that are not store paths and, with --check-contents, paths whose NAR hash changed. Exits \
            non-zero while any problem remains.
            """
    )

    @Flag(help: "Also re-hash every path and compare with the recorded NAR hash.")
    var checkContents = false

    @Flag(
        help:
            "Re-register paths whose content proves their name; remove what cannot be trusted, and what depends on it.")
    var repair = false

    func run() throws {
        let result = try Store().verify(checkContents: checkContents, repair: repair)
        for problem in result.problems { printError(problem.description) }
        for repair in result.repairs { print(repair) }
        if !result.isHealthy { throw ExitCode.failure }
    }
}
