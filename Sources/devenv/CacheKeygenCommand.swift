import ArgumentParser
import DevenvCache
import DevenvStore
import Foundation

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
