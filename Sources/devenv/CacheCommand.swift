import ArgumentParser

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Binary caches in Nix's format: make keys, push, verify and serve.",
        subcommands: [CacheKeygenCommand.self, CachePushCommand.self, CacheVerifyCommand.self, CacheServeCommand.self]
    )
}
