import ArgumentParser
import DevenvStore

extension HashAlgorithm: ExpressibleByArgument {}

/// How a hash is printed.
enum HashEncodingFlag: String, EnumerableFlag {
    case base16, base32, sri

    var encoding: Hash.Encoding {
        switch self {
        case .base16: .base16
        case .base32: .nix32
        case .sri: .sri
        }
    }

    static func help(for value: HashEncodingFlag) -> ArgumentHelp? {
        switch value {
        case .base16: "Lowercase hexadecimal."
        case .base32: "Nix's base-32 (as in store paths and .narinfo files)."
        case .sri: "algo-base64, as `nix hash path` prints it (the default)."
        }
    }
}

struct StoreHashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print the NAR hash of a path (like `nix hash path`)."
    )

    @Argument(help: "A file, directory or symlink; it need not be in the store.")
    var path: String

    @Option(help: "The hash algorithm: \(HashAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")).")
    var type: HashAlgorithm = .sha256

    @Flag(help: "How to print the hash.")
    var encoding: HashEncodingFlag = .sri

    func run() throws {
        print(try Nar.hash(of: path, algorithm: type).hash.formatted(encoding.encoding))
    }
}
