import ArgumentParser
import DevenvBasics
import DevenvCache
import DevenvFetch
import DevenvStore
import Foundation

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Binary caches in Nix's format: keys that sign what is pushed.",
        subcommands: [CacheKeygenCommand.self, CachePushCommand.self, CacheVerifyCommand.self, CacheServeCommand.self]
    )
}

struct CacheKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 key pair in Nix's format (NAME:BASE64), as nix-store --generate-binary-cache-key.",
        discussion: """
            Writes the secret key (mode 0600) and the public key, by default as NAME.secret and \
            NAME.public in $DEVENV_HOME/cache-keys, and prints the public key (what goes into \
            trusted-public-keys). Existing files are never replaced.
            """
    )

    @Argument(help: "The key's name (by convention HOST-1; it prefixes every signature).")
    var name: String

    @Option(help: "Where to write the secret key.")
    var secret: String?

    @Option(help: "Where to write the public key.")
    var `public`: String?

    func run() throws {
        let key = try SigningKey.generate(name: name)
        let directory = StoreLocation.fromEnvironment(ProcessInfo.processInfo.environment).home + "/cache-keys"
        if secret == nil || `public` == nil {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let secretPath = secret ?? directory + "/\(name).secret"
        let publicPath = `public` ?? directory + "/\(name).public"
        try key.write(secret: secretPath, public: publicPath)
        printError("secret key: \(secretPath)\npublic key: \(publicPath)")
        print(key.publicKey.text)
    }
}

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
        let signing = try (keys.isEmpty ? session.configuration.cacheSecretKeyFiles : keys).map { file in
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CacheError("cannot read the secret key file \(file)")
            }
            return try SigningKey(parsing: text)
        }
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
        let trusted = try keys.isEmpty ? session.configuration.build.trustedKeys : keys.map(TrustedKey.init(parsing:))
        let info = try cache.cacheInfo()
        let scratch = try session.store.makeStagingArea()
        let (checked, problems) = try cache.verify(
            storeDirectory: StoreDirectory(info.storeDirectory), trusted: trusted, scratch: scratch.directory,
            fetcher: URLFetcher(store: session.store, settings: session.configuration.build.fetch))
        for problem in problems { printError(problem) }
        printError("checked \(checked) paths: \(problems.isEmpty ? "no problems" : "\(problems.count) problems")")
        if !problems.isEmpty { throw ExitCode.failure }
    }
}

struct CacheServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the local store as an HTTP binary cache (read-only), as nix-serve does.",
        discussion: """
            Answers GET and HEAD for nix-cache-info, HASH.narinfo (signed as served with --sign-with) \
            and nar/HASH.nar (uncompressed, streamed from the store), until interrupted.
            """
    )

    @Option(help: "The IPv4 address to listen on.")
    var bind = "127.0.0.1"

    @Option(help: "The port (0: any free one).")
    var port = 5000

    @Option(name: .customLong("sign-with"), help: "A secret key file to sign narinfos with.")
    var key: String?

    func run() throws {
        let session = try Session()
        let signing = try key.map { file in
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CacheError("cannot read the secret key file \(file)")
            }
            return try SigningKey(parsing: text)
        }
        let server = try CacheServer(store: session.store, key: signing, host: bind, port: port)
        printError("serving \(session.store.directory.path) at http://\(bind):\(server.port)")
        server.run()
    }
}
