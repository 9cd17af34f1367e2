import ArgumentParser
import DevenvCache
import DevenvFetch
import Foundation

struct CachePushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy store paths and their closures into a binary cache (file:///DIRECTORY), signed.",
        discussion: """
            Writes Nix's layout (nix-cache-info, HASH.narinfo, nar/FILEHASH.nar.zst), each NAR before its \
            narinfo; paths the cache has are skipped. Signs with every --key, else with config.toml's \
            [cache] secret-key-files.
            """
    )

    @Option(name: .customLong("to"), help: "The cache (file:///DIRECTORY).")
    var destination: String

    @Option(name: .customLong("key"), help: "A secret key file to sign with (repeatable).")
    var keys: [String] = []

    @Option(help: "How NARs are compressed: zstd, xz or none.")
    var compression = "zstd"

    @Argument(help: "Store paths (their closures are pushed).")
    var paths: [String]

    func run() throws {
        let session = try Session()
        let cache = try BinaryCache(url: destination)
        let signing = try (keys.isEmpty ? session.configuration.cacheSecretKeyFiles : keys).map(
            SigningKey.init(contentsOf:))
        if signing.isEmpty { printError("warning: no secret key: the paths are pushed unsigned") }
        let storePaths = try paths.map { path in
            let storePath = try session.store.storePath(containing: path)
            guard try session.store.isValid(storePath) else { throw CacheError("\(path) is not a valid store path") }
            return storePath
        }
        let method = compression == "none" ? nil : Compressor.Method(rawValue: compression)
        guard method != nil || compression == "none" else {
            throw ValidationError("--compression must be zstd, xz or none")
        }
        let written = try cache.push(storePaths, from: session.store, signedWith: signing, compression: method)
        let closure = try session.store.closure(of: storePaths).count
        printError("pushed \(written.count) paths to \(destination) (\(closure - written.count) already there)")
    }
}
