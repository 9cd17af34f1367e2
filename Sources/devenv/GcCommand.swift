import ArgumentParser
import DevenvBasics
import DevenvBuild
import DevenvPackages
import DevenvProject
import DevenvShell
import DevenvStore
import Foundation

struct GcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete old generations as asked, then every store path that no root reaches.",
        discussion: """
            Roots: project and profile generations, explicit roots (devenv store add-root), running \
            devenv processes and shells whose hook loaded an environment. A project's current generation \
            is never deleted; a project whose directory is gone stops rooting anything, and gc says so. \
            Prints what it removes and the bytes freed; --dry-run prints the same and touches nothing.
            """
    )

    @Flag(help: "Print what would be removed, and remove nothing.")
    var dryRun = false

    @Option(help: "Delete generations older than this (30d, 12h, 2w, ...), except current ones.")
    var deleteOlderThan: String?

    @Flag(name: [.customShort("d"), .customLong("delete-old")], help: "Delete every generation except current ones.")
    var deleteOld = false

    @Option(help: "Stop after freeing this much (500M, 2G, ...).")
    var maxFreed: String?

    @Flag(help: "List every root with the closure size it keeps alive, largest first, instead of collecting.")
    var roots = false

    @Flag(help: "With --roots: print JSON.")
    var json = false

    @Flag(help: .hidden)
    var automatic = false

    func validate() throws {
        if let deleteOlderThan, Quantities.duration(deleteOlderThan) == nil {
            throw ValidationError("--delete-older-than: '\(deleteOlderThan)' is not a duration like 30d, 12h or 2w")
        }
        if let maxFreed, Quantities.size(maxFreed) == nil {
            throw ValidationError("--max-freed: '\(maxFreed)' is not a size like 500M or 2G")
        }
    }

    struct RootJSON: Encodable {
        var path: String
        var kind: String
        var owner: String
        var closureSize: UInt64
    }

    func run() throws {
        let session = try Session()
        let collector = GarbageCollector(store: session.store, live: [LiveShells(store: session.store)])
        if roots {
            let listed = try collector.roots()
            if json {
                try printJSON(
                    listed.map {
                        RootJSON(
                            path: session.store.directory.fullPath(of: $0.root.path), kind: $0.root.kind.rawValue,
                            owner: $0.root.owner,
                            closureSize: $0.closureSize)
                    })
            } else {
                for (root, size) in listed {
                    let owner = root.owner.isEmpty ? "" : " \(root.owner)"
                    print(
                        "\(Format.bytes(size))\t\(root.kind.rawValue)\(owner)\t\(session.store.directory.fullPath(of: root.path))"
                    )
                }
            }
            return
        }
        var options = GarbageCollector.Options()
        options.dryRun = dryRun
        options.deleteOld = deleteOld
        options.olderThan = deleteOlderThan.flatMap(Quantities.duration)
        options.maxFreed = maxFreed.flatMap(Quantities.size)
        let report =
            try automatic
            ? AutomaticCollection(home: session.store.location.home).collect(
                with: collector, keep: session.configuration.gcKeep)
            : collector.run(options)
        guard report.ran else {
            print("another devenv process is running; collecting later")
            return
        }
        for line in report.lines { print(line) }
        let verb = dryRun ? "would remove" : "removed"
        for (path, _) in report.collection.deleted { print("\(verb) \(session.store.directory.fullPath(of: path))") }
        print(
            "\(dryRun ? "would free" : "freed") \(Format.bytes(report.collection.freed)) (\(report.collection.deleted.count) store paths); \(report.collection.alive) kept"
        )
    }
}

/// Starts the daily collection when config.toml says `[gc] automatic = true`: after a command
/// returns, or before `develop`, `run` and `shell` exec into what they run.
func startAutomaticCollection() {
    guard let configuration = try? UserConfiguration.load(from: UserConfiguration.path()), configuration.gcAutomatic
    else { return }
    AutomaticCollection(home: StoreLocation.fromEnvironment().home).startIfDue()
}
