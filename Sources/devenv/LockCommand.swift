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
            let project = try directory.project()
            let manifest = try project.manifest()
            let previous = try project.lock()?.relocated(to: session.store.directory)
            let locker = Locker(store: session.store, root: project.root)
            if let previous, Locker.isCurrent(previous, for: manifest) {
                if Locker.isComplete(previous) {
                    print("devenv.lock is up to date")
                } else {
                    try locker.withNarHashes(previous, realizing: session.realizer()).write(to: project.lockPath)
                    print("recorded the output NAR hashes in devenv.lock")
                }
                return
            }
            let lock = try locker.withNarHashes(
                locker.lock(manifest, previous: previous), realizing: session.realizer())
            try lock.write(to: project.lockPath)
            print(previous == nil ? "created devenv.lock" : "updated devenv.lock")
            for line in LockChanges.describe(from: previous, to: lock, system: CurrentSystem.name) {
                print("  \(line)")
            }
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
            let project = try directory.project()
            let manifest = try project.manifest()
            let previous = try project.lock()
            let locker = Locker(store: session.store, root: project.root)
            let lock = try locker.withNarHashes(
                locker.lock(manifest, previous: previous, updating: Set(inputs)), realizing: session.realizer())
            try lock.write(to: project.lockPath)
            let changes = LockChanges.describe(from: previous, to: lock, system: CurrentSystem.name)
            print(changes.isEmpty ? "no changes" : changes.joined(separator: "\n"))
        }
    }
}
