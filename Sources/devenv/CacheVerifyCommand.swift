import ArgumentParser
import DevenvCache
import DevenvFetch
import Foundation

struct CacheVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the paths of a binary cache: signatures, NAR hashes and sizes, references.",
        discussion: """
            Checks every path of a file:// cache, or the closures of the store paths named (of the \
            cache's store directory; an http(s):// or s3:// cache has no listing). Prints one line per \
            problem and exits 1 when there is any.
            """
    )

    @Argument(help: "The cache.")
    var url: String

    @Argument(help: "Store paths whose closures to check (default: every path of a file:// cache).")
    var paths: [String] = []

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
            trusted: trusted, paths: paths, scratch: scratch.directory,
            fetcher: URLFetcher(store: session.store, settings: session.configuration.build.fetch))
        for problem in problems { printError(problem) }
        // Said, since "no problems" would otherwise read as signed.
        let unsigned =
            trusted.isEmpty ? " (signatures not checked: no --trusted-public-key, and config.toml trusts no key)" : ""
        printError(
            "checked \(checked) paths: \(problems.isEmpty ? "no problems" : "\(problems.count) problems")\(unsigned)")
        if !problems.isEmpty { throw ExitCode.failure }
    }
}
