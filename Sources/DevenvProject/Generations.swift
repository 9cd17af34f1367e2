import DevenvStore
import Foundation

/// One recorded state of a project's environment: its devenv.toml and devenv.lock, when, and the
/// environment store paths realized from them (shell → path). Every generation is a GC root.
public struct Generation: Codable, Equatable, Sendable {
    public var number: Int
    /// Seconds since the epoch.
    public var created: Int64
    public var manifest: String
    public var lock: String
    public var environments: [String: String]
    /// Why it was recorded, when not by a change of the files ("rollback to 3").
    public var note: String?

    /// The packages of the default shell on `system`, from the lock.
    public func packages(system: String) -> [LockedPackage] {
        ((try? Lockfile(parsing: lock))?.shells[Manifest.defaultShell]?[system]) ?? []
    }
}

/// The generations of one project, kept under `$DEVENV_HOME/projects/<root>/` (the root as a file
/// name, `PathAsFileName`) as `<number>.json` files plus `current`; the environments they name are
/// registered as GC roots (kind `generation`, owner `<root>#<number>`).
public struct Generations: Sendable {
    public let root: String
    public let store: Store
    public var directory: String { Generations.directory(home: store.location.home, root: root) }

    public init(root: String, store: Store) {
        self.root = root
        self.store = store
    }

    public static func directory(home: String, root: String) -> String {
        home + "/projects/" + PathAsFileName.encode(root)
    }

    /// Every project that has generations: its root.
    public static func projects(home: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: home + "/projects")) ?? [])
            .compactMap(PathAsFileName.decode).sorted()
    }

    public func all() -> [Generation] { files().compactMap(read).sorted { $0.number < $1.number } }

    /// The names of the generation files (`<number>.json`, as far as the name goes).
    private func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }
    }

    /// The numbers the generation files are named by, none of them read: a project keeps
    /// hundreds, each with a whole lock, and decoding them all to number the next one would cost
    /// more than the rest of the command. A number is never used again, also that of a file that
    /// does not read.
    private func numbers() -> [Int] {
        files().compactMap { Int($0.dropLast(".json".count)).flatMap { $0 > 0 ? $0 : nil } }
    }

    /// The generation in the file `name` of the directory, if it holds one.
    private func read(_ name: String) -> Generation? {
        FileManager.default.contents(atPath: directory + "/" + name).flatMap {
            try? JSONDecoder().decode(Generation.self, from: $0)
        }
    }

    /// What `current` names; without it, the newest generation that reads (read newest first,
    /// not all of them).
    public var currentNumber: Int? {
        FileManager.default.contents(atPath: directory + "/current").flatMap {
            Int(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        } ?? numbers().sorted(by: >).lazy.compactMap { self.read("\($0).json")?.number }.first
    }

    /// The current generation, read alone: a project may have hundreds, and this is asked each
    /// time its environment is realized.
    public func current() -> Generation? {
        guard let number = currentNumber, let generation = read("\(number).json"), generation.number == number
        else { return nil }
        return generation
    }

    /// Records that `shell`'s environment realized from `manifest` and `lock` is `environment`:
    /// a new generation when the files differ from the current one's, else the current one learns
    /// the path. Returns the generation now current.
    @discardableResult
    public func record(manifest: String, lock: String, shell: String, environment: StorePath, note: String? = nil)
        throws
        -> Generation
    {
        let path = store.directory.fullPath(of: environment)
        // The same values (comments and layout aside) and the same pins: the same generation,
        // which takes the files as they are now.
        if var current = current(), note == nil,
            current.manifest == manifest || ManifestChanges.keys(from: current.manifest, to: manifest) == [],
            current.lock == lock || Lockfile.identity(ofText: current.lock) == Lockfile.identity(ofText: lock)
        {
            if current.environments[shell] != path || current.manifest != manifest || current.lock != lock {
                current.environments[shell] = path
                current.manifest = manifest
                current.lock = lock
                try write(current)
                try root(current)
            }
            return current
        }
        let generation = Generation(
            number: (numbers().max() ?? 0) + 1, created: Int64(Date().timeIntervalSince1970), manifest: manifest,
            lock: lock, environments: [shell: path], note: note)
        try write(generation)
        try root(generation)
        try setCurrent(generation.number)
        return generation
    }

    /// What the generation keeps alive: its environments and every package its lock pins (of
    /// every shell), as far as they are valid. An environment's closure alone lacks the packages
    /// it links nothing from (another package provides the same programs first, or `paths = []`).
    public func rootedPaths(of generation: Generation) throws -> Set<StorePath> {
        var paths = generation.environments.values.compactMap { try? store.directory.storePath(parsing: $0) }
        if let lock = try? Lockfile(parsing: generation.lock).relocated(to: store.directory) {
            for packages in lock.shells.values.flatMap(\.values) {
                paths += packages.compactMap { try? store.directory.storePath(parsing: $0.outPath) }
            }
        }
        return try Set(paths.filter { try store.isValid($0) })
    }

    /// Records what the generation keeps alive as its roots (`gc --roots` lists them).
    func root(_ generation: Generation) throws {
        try store.addRoots(Array(rootedPaths(of: generation)), kind: .generation, owner: owner(generation.number))
    }

    func owner(_ number: Int) -> String { "\(root)#\(number)" }

    func write(_ generation: Generation) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(generation).write(
            to: URL(fileURLWithPath: "\(directory)/\(generation.number).json"), options: .atomic)
    }

    func setCurrent(_ number: Int) throws {
        try Data("\(number)\n".utf8).write(to: URL(fileURLWithPath: directory + "/current"), options: .atomic)
    }

    /// Restores devenv.toml and devenv.lock to generation `number` (default: the one before the
    /// current one) and records the switch as a new generation, so a rollback can be undone the
    /// same way. Needs no network: the generation's environment is still in the store.
    public func rollback(to number: Int? = nil) throws -> (target: Generation, now: Generation) {
        let generations = all()
        guard let current = currentNumber, let index = generations.firstIndex(where: { $0.number == current }) else {
            throw ProjectError("\(root) has no generations yet (they are recorded when its environment is realized)")
        }
        let target: Generation
        if let number {
            guard let found = generations.first(where: { $0.number == number }) else {
                throw ProjectError(
                    "\(root) has no generation \(number) (it has \(generations.map { String($0.number) }.joined(separator: ", ")))"
                )
            }
            target = found
        } else {
            guard index > 0 else {
                throw ProjectError("generation \(current) is the first one; there is nothing to roll back to")
            }
            target = generations[index - 1]
        }
        let project = Project(root: root)
        try Data(target.manifest.utf8).write(to: URL(fileURLWithPath: project.manifestPath), options: .atomic)
        try Data(target.lock.utf8).write(to: URL(fileURLWithPath: project.lockPath), options: .atomic)
        var now = target
        now.number = (generations.last?.number ?? 0) + 1
        now.created = Int64(Date().timeIntervalSince1970)
        now.note = "rollback to \(target.number)"
        try write(now)
        try root(now)
        try setCurrent(now.number)
        return (target, now)
    }

    /// Deletes the given generations (never the current one) and their roots.
    public func delete(_ numbers: [Int]) throws {
        let current = currentNumber
        for number in numbers where number != current {
            try? FileManager.default.removeItem(atPath: "\(directory)/\(number).json")
            try store.removeRoots(kind: .generation, owner: owner(number))
        }
    }

    /// Forgets the project entirely (its directory is gone): files and roots.
    public func forget() throws {
        for generation in all() { try store.removeRoots(kind: .generation, owner: owner(generation.number)) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
