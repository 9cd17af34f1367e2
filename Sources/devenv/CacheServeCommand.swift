import ArgumentParser
import DevenvCache
import Foundation

struct CacheServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the local store as an HTTP binary cache (read-only), as nix-serve does.",
        discussion: """
            Answers GET and HEAD for nix-cache-info, HASH.narinfo (signed as served with --sign-with) \
            and the NARs, streamed from the store: nar/HASH.nar.zst (or .xz; compressed as sent, \
            what narinfos point to unless --compression none) and nar/HASH.nar (with byte ranges), \
            until interrupted.
            """
    )

    @Option(help: "The IPv4 address to listen on.")
    var bind = "127.0.0.1"

    @Option(help: "The port (0: any free one).")
    var port = 5000

    @Option(name: .customLong("sign-with"), help: "A secret key file to sign narinfos with.")
    var key: String?

    @OptionGroup var compression: CompressionOption

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535, not \(port)") }
    }

    func run() throws {
        let session = try Session()
        let signing = try key.map(SigningKey.init(contentsOf:))
        let server = try CacheServer(
            store: session.store, key: signing, compression: compression.method, host: bind, port: port)
        printError("serving \(session.store.directory.path) at http://\(bind):\(server.port)")
        server.run()
    }
}
