import ArgumentParser
import DevenvBasics
import DevenvPackages
import DevenvProject
import Foundation

struct LockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Create devenv.lock, or bring it up to date with devenv.toml.",
        discussion: """
            Only what changed in devenv.toml is resolved again; every other pin stays as it is. The \
            lock it writes is complete: every package of this system is realized (with progress) and \
            its output's NAR hash recorded, so that using the project never changes devenv.lock.
            """
    )

    @OptionGroup var directory: DirectoryOption

    func run() throws {
        try withManifestErrors {
            let session = try Session()
            let outcome = try Locker.bringUpToDate(
                try directory.project(), store: session.store, realizer: session.realizer(),
                debian: session.debian())
            for (name, file) in [("flake.lock", outcome.flakeLock), ("devenv.lock", outcome.lock)] {
                switch file {
                case nil: continue
                case .upToDate?: print("\(name) is up to date")
                case .written(let created)?: print(created ? "created \(name)" : "updated \(name)")
                }
            }
            for line in outcome.changes { print("  \(line)") }
        }
    }
}

struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Move inputs to their newest revision, resolve again, and print what changed.",
        discussion: """
            Prints one line per change: `go_1_24 1.24.3 → 1.24.11`, `+ nodejs_24 24.19.0`, \
            `- ruff 0.17.6`. Like `lock`, realizes the packages of this system to record their NAR hashes.
            """
    )

    @Argument(help: "The inputs to update (default: all).")
    var inputs: [String] = []

    @OptionGroup var directory: DirectoryOption

    func run() throws {
        try withManifestErrors {
            let session = try Session()
            let outcome = try Locker.bringUpToDate(
                try directory.project(), store: session.store, realizer: session.realizer(),
                debian: session.debian(),
                updating: Set(inputs))
            print(outcome.changes.isEmpty ? "no changes" : outcome.changes.joined(separator: "\n"))
        }
    }
}
