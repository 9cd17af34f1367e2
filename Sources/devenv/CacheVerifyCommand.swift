import ArgumentParser
import DevenvCache
import DevenvFetch
import Foundation

struct CacheVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Check every path of a binary cache (file:///DIRECTORY): signatures, NAR hashes and sizes, references.",
        discussion: "Prints one line per problem and exits 1 when there is any."
    )

    @Argument(help: "The cache.")
    var url: String

    @Option(
        name: .customLong("trusted-public-key"),
        help: "A key whose signature each path needs (repeatable; default: config.toml's trusted-public-keys).")
    var keys: [String] = []

    func run() throws {
        let session = try Session()
        let cache = try BinaryCache(url: url)
        let trusted =
            try keys.isEmpty ? session.configuration.build.caches.trustedKeys : keys.map(TrustedKey.init(parsing:))
        let scratch = try session.store.makeStagingArea()
        let (checked, problems) = try cache.verify(
            trusted: trusted, scratch: scratch.directory,
            fetcher: URLFetcher(store: session.store, settings: session.configuration.build.fetch))
        for problem in problems { printError(problem) }
        printError("checked \(checked) paths: \(problems.isEmpty ? "no problems" : "\(problems.count) problems")")
        if !problems.isEmpty { throw ExitCode.failure }
    }
}
