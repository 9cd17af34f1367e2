import DevenvBasics
import DevenvProject
import DevenvStore
import Foundation

/// What `devenv status` tells: the project the calling shell's hook has loaded (or the one of a
/// directory), since when, and whether it is allowed, its lock up to date and its environment
/// realized.
public struct ProjectStatus {
    /// What the calling shell's hook loaded, from the variables it exports.
    public struct Active {
        public var since: Date?
        public var environment: String?
    }

    public enum LockState: Equatable {
        case missing, stale, current
    }

    public let root: String
    public let active: Active?
    public let verdict: TrustStore.Verdict
    public let lock: LockState
    /// The default shell's environment path, when it is in the store.
    public let realized: String?

    /// `environment` is the calling shell's; `shell` its process id (fish sets no
    /// DEVENV_ACTIVE_SINCE: then the time its hook wrote its stamp tells).
    public init(store: Store, directory: String, environment: [String: String], shell: Int32) throws {
        let layout = HookLayout(home: store.location.home)
        let loaded = environment["DEVENV_ACTIVE"].flatMap { $0.isEmpty ? nil : $0 }
        root = try loaded ?? Project.find(from: directory).root
        if loaded != nil {
            let stamp = layout.stamps + "/\(shell)"
            let since =
                environment["DEVENV_ACTIVE_SINCE"].flatMap(TimeInterval.init).flatMap { $0 > 0 ? $0 : nil }
                .map { Date(timeIntervalSince1970: $0) }
                ?? (try? FileManager.default.attributesOfItem(atPath: stamp)[.modificationDate] as? Date)
            active = Active(since: since, environment: environment["DEVENV_ACTIVE_ENVIRONMENT"])
        } else {
            active = nil
        }
        verdict = TrustStore(layout: layout).verdict(root: root)
        let project = Project(root: root)
        // Status never downloads: a flake input not fetched yet means the locks are not up to date.
        let files = try ProjectFiles(project)
        let manifest: Manifest
        do {
            manifest = try files.manifest(fetching: false)
        } catch is FlakeInputNotFetched {
            (lock, realized) = (.stale, nil)
            return
        }
        let lockfile = try files.lock()?.relocated(to: store.directory)
        lock =
            lockfile.map {
                Locker.isCurrent($0, for: manifest) && !files.flakeLockIsStale(for: manifest) ? .current : .stale
            }
            ?? .missing
        if let lockfile,
            let shell = try? lockfile.environment(
                shell: Manifest.defaultShell, system: CurrentSystem.name, manifest: manifest, store: store.directory),
            let path = try? shell.derivation.outputPath(in: store.directory), try store.isValid(path)
        {
            realized = store.directory.fullPath(of: path)
        } else {
            realized = nil
        }
    }
}
