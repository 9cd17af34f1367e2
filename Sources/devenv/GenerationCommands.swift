import ArgumentParser
import DevenvBasics
import DevenvPackages
import DevenvProject
import DevenvShell
import DevenvStore
import Foundation

/// One generation as `generations --json` prints it.
struct GenerationJSON: Encodable {
    struct Package: Encodable {
        var name: String
        var version: String
    }
    var number: Int
    var created: Int64
    var current: Bool
    var environment: String?
    var note: String?
    var packages: [Package]
    var changes: [String]
}

/// Lines and JSON of a project's generations, shared by `generations` and `profile generations`.
func describeGenerations(_ generations: Generations, json: Bool) throws {
    let entries = generations.history().map { summary in
        GenerationJSON(
            number: summary.generation.number, created: summary.generation.created, current: summary.current,
            environment: summary.generation.environments[Manifest.defaultShell], note: summary.generation.note,
            packages: summary.packages.map { .init(name: $0.name, version: $0.version) }, changes: summary.changes)
    }
    if json {
        try printJSON(entries)
        return
    }
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    for entry in entries {
        let marker = entry.current ? "*" : " "
        let date = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(entry.created)))
        let what =
            entry.changes.isEmpty
            ? entry.packages.map { "\($0.name) \($0.version)" }.joined(separator: ", ")
            : entry.changes.joined(separator: ", ")
        print("\(marker) \(entry.number)  \(date)  \(what)\(entry.note.map { "  (\($0))" } ?? "")")
    }
}

struct GenerationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generations",
        abstract: "List the project's generations: number, time, what changed; the current one marked with *."
    )

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var directory: DirectoryOption

    func run() throws {
        let session = try Session()
        let project = try directory.project()
        try describeGenerations(Generations(root: project.root, store: session.store), json: json)
    }
}

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract:
            "Go back to the previous generation (or --to N): devenv.toml and devenv.lock restored, no download or build.",
        discussion: "The switch is recorded as a new generation, so `devenv rollback` again undoes it."
    )

    @Option(help: "The generation to go to (default: the one before the current one).")
    var to: Int?

    @OptionGroup var directory: DirectoryOption

    func run() throws {
        let session = try Session()
        let project = try directory.project()
        let (target, now) = try TrustStore(layout: HookLayout(home: session.store.location.home))
            .keepingAllowed(root: project.root) {
                try Generations(root: project.root, store: session.store).rollback(to: to)
            }
        print("rolled back to generation \(target.number) (recorded as generation \(now.number))")
    }
}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "What changed between two generations: packages, versions, store paths, closure size.",
        discussion:
            "Without arguments: the previous generation against the current one; with one: that one against the current one."
    )

    @Argument(help: "Generation numbers.")
    var generations: [Int] = []

    @OptionGroup var directory: DirectoryOption

    func validate() throws {
        if generations.count > 2 { throw ValidationError("at most two generations") }
    }

    func run() throws {
        let session = try Session()
        let history = Generations(root: try directory.project().root, store: session.store)
        let (a, b) = try history.pair(generations)
        let diff = history.diff(a, b)
        print("generation \(a.number) → \(b.number)")
        func change(_ from: UInt64?, _ to: UInt64?) -> String {
            guard let from, let to else { return "" }
            let delta = Int64(to) - Int64(from)
            return "\(delta >= 0 ? "+" : "-")\(Format.bytes(UInt64(abs(delta))))"
        }
        for package in diff.packages {
            switch package {
            case .added(let added, let size):
                print("+ \(added.name) \(added.version)  \(added.outPath)  \(change(0, size))")
            case .removed(let removed, let size):
                print("- \(removed.name) \(removed.version)  \(removed.outPath)  \(change(size, 0))")
            case .changed(let old, let new, let sizes):
                print(
                    "  \(old.name) \(old.version) → \(new.version)  \(old.outPath) → \(new.outPath)  \(change(sizes.0, sizes.1))"
                )
            }
        }
        for key in diff.manifestChanges { print("  changed \(key)") }
        if let from = diff.closureSizes.0, let to = diff.closureSizes.1 {
            print("closure size: \(Format.bytes(from)) → \(Format.bytes(to)) (\(change(from, to)))")
        }
    }
}
