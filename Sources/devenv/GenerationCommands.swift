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
    let all = generations.all()
    let current = generations.currentNumber
    let system = CurrentSystem.name
    var previous: Lockfile?
    var previousManifest: String?
    var entries: [GenerationJSON] = []
    for generation in all {
        let lock = try? Lockfile(parsing: generation.lock)
        var changes = lock.map { LockChanges.describe(from: previous, to: $0, system: system) } ?? []
        // What the lock does not show: variables, hook, aliases, checks, scripts.
        changes += (previousManifest.map { ManifestChanges.beyondTheLock(from: $0, to: generation.manifest) } ?? [])
            .map { "changed \($0)" }
        previous = lock
        previousManifest = generation.manifest
        entries.append(
            GenerationJSON(
                number: generation.number, created: generation.created, current: generation.number == current,
                environment: generation.environments[Manifest.defaultShell], note: generation.note,
                packages: generation.packages(system: system).map { .init(name: $0.name, version: $0.version) },
                changes: changes))
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

    @Option(name: .customShort("C"), help: "Work in the project containing DIR instead of the current directory.")
    var directory: String?

    func run() throws {
        let session = try Session()
        let project = try Project.find(from: directory ?? FileManager.default.currentDirectoryPath)
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

    @Option(name: .customShort("C"), help: "Work in the project containing DIR instead of the current directory.")
    var directory: String?

    func run() throws {
        let session = try Session()
        let project = try Project.find(from: directory ?? FileManager.default.currentDirectoryPath)
        let trust = TrustStore(layout: HookLayout(home: session.store.location.home))
        let wasAllowed = trust.verdict(root: project.root) == .allowed
        let (target, now) = try Generations(root: project.root, store: session.store).rollback(to: to)
        // A rollback by hand is as deliberate as `devenv allow`: an allowed project stays allowed,
        // so the hook loads the restored environment at the next prompt.
        if wasAllowed { try trust.allow(root: project.root) }
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

    @Option(name: .customShort("C"), help: "Work in the project containing DIR instead of the current directory.")
    var directory: String?

    func validate() throws {
        if generations.count > 2 { throw ValidationError("at most two generations") }
    }

    func run() throws {
        let session = try Session()
        let project = try Project.find(from: directory ?? FileManager.default.currentDirectoryPath)
        let all = Generations(root: project.root, store: session.store)
        let list = all.all()
        guard let current = all.current() else { throw ProjectError("\(project.root) has no generations yet") }
        func find(_ number: Int) throws -> Generation {
            guard let found = list.first(where: { $0.number == number }) else {
                throw ProjectError("\(project.root) has no generation \(number)")
            }
            return found
        }
        let (a, b): (Generation, Generation)
        switch generations.count {
        case 0:
            guard let index = list.firstIndex(of: current), index > 0 else {
                throw ProjectError("generation \(current.number) is the only one")
            }
            (a, b) = (list[index - 1], current)
        case 1: (a, b) = (try find(generations[0]), current)
        default: (a, b) = (try find(generations[0]), try find(generations[1]))
        }
        print("generation \(a.number) → \(b.number)")
        let system = CurrentSystem.name
        let before = Dictionary(
            a.packages(system: system).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(
            b.packages(system: system).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        /// The closure size of a store path (nil when it is not in the store).
        func size(_ path: String?) -> UInt64? {
            guard let path, let storePath = try? session.store.directory.storePath(parsing: path) else { return nil }
            return try? session.store.closureSize(of: [storePath])
        }
        func change(_ from: UInt64?, _ to: UInt64?) -> String {
            guard let from, let to else { return "" }
            let delta = Int64(to) - Int64(from)
            return "\(delta >= 0 ? "+" : "-")\(Format.bytes(UInt64(abs(delta))))"
        }
        for name in Set(before.keys).union(after.keys).sorted() {
            switch (before[name], after[name]) {
            case (nil, let added?):
                print("+ \(name) \(added.version)  \(added.outPath)  \(change(0, size(added.outPath)))")
            case (let removed?, nil):
                print("- \(name) \(removed.version)  \(removed.outPath)  \(change(size(removed.outPath), 0))")
            case (let old?, let new?) where old.outPath != new.outPath:
                print(
                    "  \(name) \(old.version) → \(new.version)  \(old.outPath) → \(new.outPath)  \(change(size(old.outPath), size(new.outPath)))"
                )
            default: break
            }
        }
        for key in ManifestChanges.beyondTheLock(from: a.manifest, to: b.manifest) { print("  changed \(key)") }
        let from = size(a.environments[Manifest.defaultShell])
        let to = size(b.environments[Manifest.defaultShell])
        if let from, let to {
            print("closure size: \(Format.bytes(from)) → \(Format.bytes(to)) (\(change(from, to)))")
        }
    }
}
