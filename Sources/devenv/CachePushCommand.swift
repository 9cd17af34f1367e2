import ArgumentParser
import DevenvCache
import DevenvFetch
import DevenvProject
import DevenvStore
import Foundation

struct CachePushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy store paths and their closures into a binary cache (file://, http(s):// or s3://), signed.",
        discussion: """
            Writes Nix's layout (nix-cache-info, HASH.narinfo, nar/FILEHASH.nar.zst), each NAR before its \
            narinfo; paths the cache has are not pushed again, but their narinfos are given the signatures of \
            the keys they lack (how a key is added or rotated without pushing again). http(s):// caches take PUTs with the bearer token of \
            DEVENV_CACHE_TOKEN or config.toml's [cache] token-file; s3:// ones signed requests with the AWS \
            credentials of the environment or ~/.aws/credentials. Signs with every --key, else with config.toml's \
            [cache] secret-key-files. With --project (or --all-shells), pushes the project's default \
            shell (or every shell) as develop realizes it, realizing it first.
            """
    )

    @Option(name: .customLong("to"), help: "The cache (file:///DIRECTORY, http(s)://… or s3://BUCKET?…).")
    var destination: String

    @Option(name: .customLong("key"), help: "A secret key file to sign with (repeatable).")
    var keys: [String] = []

    @OptionGroup var compression: CompressionOption

    @Flag(help: "Push the project's default shell (the project of -C DIR, else of the current directory).")
    var project = false

    @Flag(help: "Push every shell of the project.")
    var allShells = false

    @OptionGroup var projectOptions: ProjectOptions

    @Argument(help: "Store paths (their closures are pushed).")
    var paths: [String] = []

    func validate() throws {
        guard paths.isEmpty == (project || allShells) else {
            throw ValidationError("name store paths, or push a project with --project or --all-shells")
        }
    }

    func run() throws {
        try withManifestErrors { try push() }
    }

    private func push() throws {
        let session = try Session()
        let cache = try BinaryCache(url: destination)
        let signing = try (keys.isEmpty ? session.configuration.cacheSecretKeyFiles : keys).map(
            SigningKey.init(contentsOf:))
        if signing.isEmpty {
            printError(
                "warning: no secret key (--key FILE, or config.toml's [cache] secret-key-files): the paths are pushed unsigned"
            )
        }
        var storePaths = try paths.map { path in
            let storePath = try session.store.storePath(containing: path)
            guard try session.store.isValid(storePath) else { throw CacheError("\(path) is not a valid store path") }
            return storePath
        }
        if project || allShells {
            let workspace = try projectOptions.workspace(session)
            let shells = allShells ? workspace.manifest.shells.keys.sorted() : [Manifest.defaultShell]
            let realizer = session.realizer()
            for shell in shells {
                let realized = try workspace.realize(shell: shell, realizer: realizer)
                storePaths.append(try session.store.storePath(containing: realized.path))
            }
        }
        let pushed = try cache.push(
            storePaths, from: session.store, signedWith: signing, compression: compression.method,
            fetcher: URLFetcher(store: session.store, settings: session.configuration.build.fetch),
            token: try session.configuration.cacheToken())
        for warning in pushed.warnings { printError("warning: \(warning)") }
        let signed = pushed.signed.isEmpty ? "" : ", \(pushed.signed.count) of them signed now"
        printError(
            "pushed \(pushed.written.count) paths to \(destination) (\(pushed.alreadyThere) already there\(signed))"
        )
    }
}
