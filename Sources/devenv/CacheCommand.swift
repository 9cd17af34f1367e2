import ArgumentParser
import DevenvFetch

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Binary caches in Nix's format: make keys, push, verify and serve.",
        subcommands: [CacheKeygenCommand.self, CachePushCommand.self, CacheVerifyCommand.self, CacheServeCommand.self]
    )
}

/// `--compression zstd|xz|none` of push and serve.
struct CompressionOption: ParsableArguments {
    @Option(name: .customLong("compression"), help: "How NARs are compressed: zstd, xz or none.")
    var text = "zstd"

    func validate() throws {
        guard ["zstd", "xz", "none"].contains(text) else {
            throw ValidationError("--compression must be zstd, xz or none")
        }
    }

    /// nil: none.
    var method: Compressor.Method? { Compressor.Method(rawValue: text) }
}
