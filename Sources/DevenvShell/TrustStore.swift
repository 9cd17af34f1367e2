import DevenvProject
import DevenvStore
import Foundation

/// Which projects the hook may load: `devenv allow` binds a directory to the hash of its
/// devenv.toml and devenv.lock (a flake's flake.lock too: it decides which inputs' code runs),
/// and its git repository to that hash too, so other worktrees with the same content are allowed
/// as well. An edit changes the hash and blocks the project again.
public struct TrustStore: Sendable {
    public let layout: HookLayout

    public init(layout: HookLayout) { self.layout = layout }

    /// SHA-256 (hex) of the manifest and of what the lock pins: what an allow is bound to. The
    /// lock's machine-specific parts (output paths, the store directory) and the NAR hashes it
    /// learns by realizing do not count, so using a project does not block it again.
    public static func contentHash(root: String) -> String {
        let (manifest, lock, flakeLock) = files(root: root)
        return contentHash(manifest: manifest, lock: lock, flakeLock: flakeLock)
    }

    /// The same hash for files read once.
    public static func contentHash(_ files: ProjectFiles) -> String {
        contentHash(manifest: files.manifestBytes, lock: files.lockBytes ?? Data(), flakeLock: files.flakeLockBytes)
    }

    /// The same hash for a manifest and a lock given as bytes, with a flake's flake.lock if any.
    public static func contentHash(manifest: Data, lock: Data, flakeLock: Data? = nil) -> String {
        var hasher = Hasher(.sha256)
        hasher.update(manifest)
        hasher.update(Data("\n--devenv.lock--\n".utf8))
        hasher.update(pins(of: lock))
        if let flakeLock {
            hasher.update(Data("\n--flake.lock--\n".utf8))
            hasher.update(flakeLock)
        }
        return hasher.finalize().base16
    }

    /// SHA-256 (hex) of what a lock pins alone: kept at allow time to tell a changed lock.
    private static func lockHash(_ lock: Data) -> String {
        var hasher = Hasher(.sha256)
        hasher.update(pins(of: lock))
        return hasher.finalize().base16
    }

    private static func pins(of lock: Data) -> Data {
        Data(Lockfile.identity(ofText: String(decoding: lock, as: UTF8.self)).utf8)
    }

    /// The bytes of the project's devenv.toml and devenv.lock (empty when missing), and of a
    /// flake's flake.lock (nil when there is none).
    private static func files(root: String) -> (manifest: Data, lock: Data, flakeLock: Data?) {
        let project = Project(root: root)
        return (
            FileManager.default.contents(atPath: project.manifestPath) ?? Data(),
            FileManager.default.contents(atPath: project.lockPath) ?? Data(),
            project.flakeLockPath.flatMap(FileManager.default.contents(atPath:))
        )
    }

    public enum Verdict: Equatable, Sendable {
        case allowed
        /// Never allowed.
        case unknown
        /// Allowed once, with other content.
        case changed
    }

    /// Whether the directory's content (or the content whose hash is `hash`) may be loaded.
    public func verdict(root: String, hash: String? = nil) -> Verdict {
        let hash = hash ?? TrustStore.contentHash(root: root)
        let recorded = read(layout.allowed(root: root))
        if recorded.contains(hash) { return .allowed }
        if let repository = TrustStore.gitDirectory(of: root), read(layout.allowedRepository(repository)).contains(hash)
        {
            return .allowed
        }
        return recorded.isEmpty ? .unknown : .changed
    }

    /// Lets `workspace` use the binary caches its devenv.toml suggests when the project is
    /// allowed as it was read; otherwise, when it suggests any, the note that says how to use them.
    @discardableResult
    public func useSuggestedCaches(in workspace: Workspace) -> String? {
        let suggested = workspace.manifest.suggestedCaches
        guard !suggested.isEmpty else { return nil }
        let hash = TrustStore.contentHash(workspace.files)
        workspace.usesSuggestedCaches = verdict(root: workspace.project.root, hash: hash) == .allowed
        guard !workspace.usesSuggestedCaches else { return nil }
        let urls = suggested.substituters.map(\.url).joined(separator: ", ")
        return "devenv.toml suggests binary caches (\(urls)); they are used once you run `devenv allow`"
    }

    /// An error unless the project may be loaded as it is now (what `export json` needs).
    public func requireAllowed(_ project: Project) throws {
        guard verdict(root: project.root) == .allowed else {
            throw ProjectError("\(project.manifestPath) is not allowed; run `devenv allow` first")
        }
    }

    /// Allows the project's files as they were read: the hash of their content, with a copy of
    /// the manifest and the lock's hash, so that a later edit can be named.
    public func allow(_ files: ProjectFiles) throws {
        let root = files.project.root
        let hash = TrustStore.contentHash(files)
        try write([hash], to: layout.allowed(root: root))
        try files.manifestBytes.write(to: URL(fileURLWithPath: layout.allowed(root: root) + ".toml"), options: .atomic)
        try write([TrustStore.lockHash(files.lockBytes ?? Data())], to: layout.allowed(root: root) + ".lock")
        if let repository = TrustStore.gitDirectory(of: root) {
            let path = layout.allowedRepository(repository)
            try write(Array(Set(read(path) + [hash])).sorted(), to: path)
        }
        try touchStamp()
    }

    /// Runs `change` (a rollback) and keeps the directory allowed if it was: a change made by hand
    /// is as deliberate as `devenv allow`, so the hook loads its result at the next prompt.
    public func keepingAllowed<T>(root: String, _ change: () throws -> T) throws -> T {
        let wasAllowed = verdict(root: root) == .allowed
        let result = try change()
        if wasAllowed { try allow(ProjectFiles(Project(root: root))) }
        return result
    }

    /// What changed since the directory was allowed, for a message: "devenv.toml (shell.env)",
    /// "devenv.lock", or both.
    public func changes(root: String) -> String {
        let allowed = layout.allowed(root: root)
        guard let oldManifest = FileManager.default.contents(atPath: allowed + ".toml"),
            let oldLock = read(allowed + ".lock").first
        else { return "devenv.toml or devenv.lock" }
        let (manifest, lock, _) = TrustStore.files(root: root)
        let project = Project(root: root)
        let name = (project.manifestPath as NSString).lastPathComponent
        var parts: [String] = []
        if manifest != oldManifest {
            // Which keys changed is said of devenv.toml; a Nix file is only named.
            let keys =
                project.isNix
                ? nil
                : ManifestChanges.keys(
                    from: String(decoding: oldManifest, as: UTF8.self), to: String(decoding: manifest, as: UTF8.self))
            parts.append(
                keys.map { $0.isEmpty ? "\(name) (comments)" : "\(name) (\($0.joined(separator: ", ")))" } ?? name)
        }
        if TrustStore.lockHash(lock) != oldLock { parts.append("devenv.lock") }
        // Neither: what else the hash covers.
        if parts.isEmpty, project.flakeLockPath != nil { parts.append("flake.lock") }
        return parts.isEmpty ? "devenv.toml or devenv.lock" : parts.joined(separator: " and ")
    }

    /// Revokes the directory and, for its repository, the hash it has now; drops its cached environments.
    public func deny(root: String) throws {
        for suffix in ["", ".toml", ".lock"] {
            try? FileManager.default.removeItem(atPath: layout.allowed(root: root) + suffix)
        }
        if let repository = TrustStore.gitDirectory(of: root) {
            let path = layout.allowedRepository(repository)
            let hash = TrustStore.contentHash(root: root)
            try write(read(path).filter { $0 != hash }, to: path)
        }
        for dialect in ExportScript.Dialect.allCases {
            try? FileManager.default.removeItem(atPath: layout.cache(root: root, dialect: dialect))
        }
        try touchStamp()
    }

    /// Makes every hooked shell look again at its next prompt.
    func touchStamp() throws {
        try FileManager.default.createDirectory(atPath: layout.directory, withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: layout.allowStamp))
    }

    private func read(_ path: String) -> [String] {
        (FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? "")
            .split(separator: "\n").map(String.init)
    }

    private func write(_ lines: [String], to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The repository's common git directory (shared by all its worktrees), if `root` is in one.
    static func gitDirectory(of root: String) -> String? {
        var current = URL(fileURLWithPath: root).standardizedFileURL
        while true {
            let dotGit = current.appendingPathComponent(".git")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) {
                if isDirectory.boolValue { return dotGit.resolvingSymlinksInPath().path }
                // A worktree: ".git" says "gitdir: <dir>", whose "commondir" leads to the shared one.
                guard
                    let text = FileManager.default.contents(atPath: dotGit.path).map({
                        String(decoding: $0, as: UTF8.self)
                    }),
                    text.hasPrefix("gitdir: ")
                else { return nil }
                let gitDir = URL(
                    fileURLWithPath: text.dropFirst(8).trimmingCharacters(in: .whitespacesAndNewlines),
                    relativeTo: current)
                let common = FileManager.default.contents(atPath: gitDir.appendingPathComponent("commondir").path)
                    .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
                let shared = common.map { URL(fileURLWithPath: $0, relativeTo: gitDir) } ?? gitDir
                return shared.standardizedFileURL.resolvingSymlinksInPath().path
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
    }
}
