import DevenvBasics
import DevenvBuild
import DevenvPackages
import DevenvProject
import DevenvStore
import Foundation
import Glibc

/// What `devenv export` tells a shell: code to evaluate (loading a project, or nothing) and
/// lines for the user.
public struct ExportResult: Sendable {
    public var code = ""
    public var messages: [String] = []
}

/// The work behind the shell hooks: which project a directory belongs to, whether it may be
/// loaded, and the code that loads it, from a cache when the environment is realized. Never
/// blocks on a download or build unless told to: an unrealized project is realized by a
/// background process while the shell keeps the project's last good environment.
public struct Activation {
    public let store: Store
    public let layout: HookLayout
    public let toolVersion: String
    public let background: Bool
    public let makeRealizer: () -> Realizer
    /// Where `debian:` requests are locked.
    public let debian: DebianSource?

    public init(
        store: Store, toolVersion: String, background: Bool, debian: DebianSource? = nil,
        makeRealizer: @escaping () -> Realizer
    ) {
        self.store = store
        self.debian = debian
        layout = HookLayout(home: store.location.home)
        self.toolVersion = toolVersion
        self.background = background
        self.makeRealizer = makeRealizer
    }

    /// The code that loads the project of `directory` into a shell whose (unloaded) environment
    /// is `environment`. The hook passes in `DEVENV_NOTICE_SEEN` the key of the messages the shell
    /// showed last time it asked: the same messages are not shown twice in a row (a blocked or
    /// failed project says so once, not at every prompt that looks again).
    public func export(_ dialect: ExportScript.Dialect, directory: String, environment: [String: String])
        -> ExportResult
    {
        var base = environment
        // The hook's own note, not part of the shell's environment.
        let seen = base.removeValue(forKey: "DEVENV_NOTICE_SEEN") ?? ""
        var result = exportUnnoticed(dialect, directory: directory, base: base)
        guard !result.messages.isEmpty else { return result }
        let key = String(Hasher.hash(.sha256, Array(result.messages.joined(separator: "\n").utf8)).base16.prefix(16))
        if key == seen { result.messages = [] }
        result.code += "__devenv_notice \(key)\n"
        return result
    }

    private func exportUnnoticed(_ dialect: ExportScript.Dialect, directory: String, base: [String: String])
        -> ExportResult
    {
        var result = ExportResult()
        // Where the hook keeps its stamps, in case $DEVENV_HOME was removed under a live shell.
        try? FileManager.default.createDirectory(atPath: layout.stamps, withIntermediateDirectories: true)
        guard let project = try? Project.find(from: directory) else { return result }
        let root = project.root
        // Read once: every decision below is about the same version of the files.
        let files: ProjectFiles
        do {
            try project.checkStateDirectory()
            files = try ProjectFiles(project)
        } catch {
            result.messages.append("devenv: \(error)")
            return result
        }
        let cache = layout.cache(root: root, dialect: dialect)
        let trust = TrustStore(layout: layout)
        let hash = TrustStore.contentHash(files)
        switch trust.verdict(root: root, hash: hash) {
        case .changed where isRealizing(root):
            // The background realization is writing the lock; it allows what it wrote once done.
            // Meanwhile the last good environment stays.
            result.code = pendingCode(cache, root: root, dialect: dialect)
            return result
        case .unknown:
            result.messages.append("devenv: \(project.manifestPath) is not allowed; run `devenv allow` to load it")
            return result
        case .changed:
            result.messages.append(
                "devenv: \(trust.changes(root: root)) in \(root) changed since it was allowed; review the change, then run `devenv allow`"
            )
            return result
        case .allowed:
            break
        }
        if let cached = cachedScript(cache, contentHash: hash) {
            result.code = cached
            return result
        }
        do {
            if let script = try load(files, contentHash: hash, base: base, recordingGeneration: true) {
                try write(script, dialect: dialect, to: cache)
                try? FileManager.default.removeItem(atPath: layout.failure(root: root))
                result.code = script.render(dialect, cache: cache, toolVersion: toolVersion)
                return result
            }
        } catch {
            result.messages.append("devenv: \(error)")
            return result
        }
        // A realization of these very files failed: say so, and wait for an edit or a retry
        // (`devenv reload`, or a `devenv develop` that succeeds) instead of failing again at
        // every prompt.
        if let reason = failure(root: root, contentHash: hash) {
            result.code = pendingCode(cache, root: root, dialect: dialect)
            result.messages.append(
                "devenv: realizing \(root) failed: \(reason); see \(layout.log(root: root)) (after fixing the cause, run `devenv reload` to try again)"
            )
            return result
        }
        if !background {
            do {
                var tried = ""
                try realize(project, files: files, dialect: dialect, base: base, tried: &tried)
                result.code = cachedScript(cache, contentHash: tried) ?? ""
            } catch {
                result.messages.append("devenv: \(error)")
            }
            return result
        }
        result.code = pendingCode(cache, root: root, dialect: dialect)
        if startBackground(project, dialect: dialect, base: base) {
            result.messages.append(
                "devenv: realizing \(root) in the background (log: \(layout.log(root: root)))")
        }
        return result
    }

    /// Why the last background realization of the project failed, when it failed for the
    /// content it has now (`contentHash`); a failure recorded for other content is forgotten.
    private func failure(root: String, contentHash: String) -> String? {
        let path = layout.failure(root: root)
        guard let text = FileManager.default.contents(atPath: path).map({ String(decoding: $0, as: UTF8.self) }) else {
            return nil
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 1, lines[0] == contentHash else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        return String(lines[1])
    }

    /// Forgets a failed background realization of the project and makes hooked shells look
    /// again at their next prompt (`devenv reload`; with `onlyAfterFailure`, what a `develop`
    /// that realized the project does).
    public static func retry(root: String, layout: HookLayout, onlyAfterFailure: Bool = false) throws {
        let failed = FileManager.default.fileExists(atPath: layout.failure(root: root))
        guard failed || !onlyAfterFailure else { return }
        if failed { try FileManager.default.removeItem(atPath: layout.failure(root: root)) }
        try TrustStore(layout: layout).touchStamp()
    }

    /// The project's last good environment (stale, but better than none), and the hook told to
    /// watch for the new one, for a failure, and for edits of the project's files.
    private func pendingCode(_ cache: String, root: String, dialect: ExportScript.Dialect) -> String {
        let quote = { ExportScript.quoted($0, for: dialect) }
        let lastGood = FileManager.default.contents(atPath: cache).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return lastGood + "__devenv_pending \(quote(cache)) \(quote(root))\n"
    }

    /// Whether a background realization of the project runs now.
    private func isRealizing(_ root: String) -> Bool {
        do {
            guard let probe = try PathLock.tryAcquire(layout.realizing(root: root)) else { return true }
            probe.release()
        } catch {}
        return false
    }

    /// The cache's text when it was made by this devenv for this content and its environment
    /// still exists.
    private func cachedScript(_ cache: String, contentHash: String) -> String? {
        guard let data = FileManager.default.contents(atPath: cache) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        return LoadScript.isFresh(text, toolVersion: toolVersion, contentHash: contentHash) ? text : nil
    }

    /// The load script of a project whose lock is current and whose environment is realized;
    /// nil when something must be locked or realized first. Entering through the hook uses the
    /// project as `develop` does: with `recordingGeneration`, a changed environment (an edited
    /// `env`, say) is a new generation.
    func load(_ files: ProjectFiles, contentHash: String, base: [String: String], recordingGeneration: Bool)
        throws -> LoadScript?
    {
        guard files.lockBytes != nil else { return nil }
        return try load(
            Workspace(files: files, store: store, policy: .frozen), contentHash: contentHash, base: base,
            recordingGeneration: recordingGeneration)
    }

    private func load(_ workspace: Workspace, contentHash: String, base: [String: String], recordingGeneration: Bool)
        throws -> LoadScript?
    {
        let (project, manifest) = (workspace.project, workspace.manifest)
        guard Locker.isCurrent(workspace.lock, for: manifest), !workspace.files.flakeLockIsStale(for: manifest) else {
            return nil
        }
        let environment = try workspace.lock.environment(
            shell: Manifest.defaultShell, system: CurrentSystem.name, manifest: manifest, store: store.directory)
        let output = try environment.derivation.outputPath(in: store.directory)
        guard try store.isValid(output) else { return nil }
        if recordingGeneration { try workspace.recordGeneration(shell: Manifest.defaultShell, environment: output) }
        let path = store.directory.fullPath(of: output)
        let declared = try manifest.shell(Manifest.defaultShell)
        let shellEnvironment = try workspace.shellEnvironment(
            Manifest.defaultShell, environment: environment, path: path)
        // The hook's output is kept to show at every load; what it exports is in the script.
        let (after, printed) = try workspace.applyingHook(
            of: Manifest.defaultShell, to: shellEnvironment.variables(from: base, pure: false),
            directory: project.root, capturingOutput: true)
        var messages = printed.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if messages.last == "" { messages.removeLast() }
        var script = LoadScript(
            root: project.root, environmentPath: path, contentHash: contentHash, before: base, after: after,
            declared: shellEnvironment.names.filter { after[$0] != nil })
        script.aliases = declared.orderedAliases
        script.messages = messages
        return script
    }

    /// Writes the cache atomically, so a shell never sources half of it.
    private func write(_ script: LoadScript, dialect: ExportScript.Dialect, to cache: String) throws {
        try FileManager.default.createDirectory(atPath: layout.directory + "/env", withIntermediateDirectories: true)
        try Data(script.render(dialect, cache: cache, toolVersion: toolVersion).utf8)
            .write(to: URL(fileURLWithPath: cache), options: .atomic)
    }

    /// Brings the project's lock up to date, realizes its environment and writes the cache (the
    /// work of the background process, or of the hook itself with `[hook] background = false`).
    /// `files` are the project's files as the caller read them (nil: read them now). `tried`
    /// becomes the content hash of the files realized (the manifest as read, with the lock as
    /// locking left it), for a failure to be recorded against.
    public func realize(
        _ project: Project, files: ProjectFiles? = nil, dialect: ExportScript.Dialect, base: [String: String],
        tried: inout String
    ) throws {
        let trust = TrustStore(layout: layout)
        try project.checkStateDirectory()
        let files = try files ?? ProjectFiles(project)
        tried = TrustStore.contentHash(files)
        let wasAllowed = trust.verdict(root: project.root, hash: tried) == .allowed
        let workspace = try Workspace(files: files, store: store, policy: .update, debian: debian)
        tried = TrustStore.contentHash(workspace.files)
        // A lock this made from an allowed manifest is as trusted as the manifest: that manifest,
        // not one edited meanwhile. Allowed before realizing, so that a failure is reported for
        // the files as they are then, not as "changed since it was allowed".
        if wasAllowed, FileManager.default.contents(atPath: project.manifestPath) == files.manifestBytes,
            trust.verdict(root: project.root, hash: tried) != .allowed
        {
            try trust.allow(workspace.files)
        }
        trust.useSuggestedCaches(in: workspace)
        _ = try workspace.realize(shell: Manifest.defaultShell, realizer: makeRealizer())
        guard let script = try load(workspace, contentHash: tried, base: base, recordingGeneration: false) else {
            throw ProjectError("the environment is still not realized")
        }
        try write(script, dialect: dialect, to: layout.cache(root: project.root, dialect: dialect))
    }

    /// Runs `realize` for the background process, recording a failure where `export` finds it.
    public func realizeForHook(_ project: Project, dialect: ExportScript.Dialect, base: [String: String]) throws {
        try FileManager.default.createDirectory(atPath: layout.directory + "/env", withIntermediateDirectories: true)
        let lock = try PathLock.tryAcquire(layout.realizing(root: project.root))
        guard let lock else { return }  // another one is at it
        defer { lock.release() }
        var tried = ""
        do {
            try realize(project, dialect: dialect, base: base, tried: &tried)
        } catch {
            // Recorded for the files it tried: files edited since are tried at the next prompt.
            let reason = "\(error)".split(separator: "\n").first ?? ""
            try? Data("\(tried)\n\(reason)\n".utf8)
                .write(to: URL(fileURLWithPath: layout.failure(root: project.root)), options: .atomic)
            throw error
        }
    }

    /// Starts `devenv hook-realize` for the project unless one runs already; true when started.
    private func startBackground(_ project: Project, dialect: ExportScript.Dialect, base: [String: String]) -> Bool {
        try? FileManager.default.createDirectory(atPath: layout.directory + "/env", withIntermediateDirectories: true)
        guard !isRealizing(project.root) else { return false }
        do {
            let path = layout.log(root: project.root)
            let log = try SystemCall.retrying("cannot create \(path)") {
                open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
            }
            defer { close(log) }
            let executable = CurrentExecutable.path
            var environment = base
            environment["CI"] = "true"  // plain progress lines in the log
            try Subprocess.startDetached(
                executable, ["hook-realize", dialect.rawValue, project.root], environment: environment, log: log)
            return true
        } catch {
            return false
        }
    }
}
