import DevenvBasics
import DevenvBuild
import DevenvCache
import DevenvFetch
import DevenvPackages
import DevenvStore
import Foundation

/// `~/.config/devenv/config.toml` (`$XDG_CONFIG_HOME/devenv/config.toml`, or `$DEVENV_CONFIG`):
/// the user's settings for fetching and building (docs/configuration.md).
public struct UserConfiguration: Sendable, Equatable {
    public var build: BuildSettings
    /// Whether the shell hook realizes unrealized projects in the background (`[hook] background`);
    /// false makes it wait, with progress.
    public var hookInBackground: Bool
    /// `[gc] automatic`: collect in the background at most once a day after a command.
    public var gcAutomatic: Bool
    /// `[gc] keep` ("30d") in seconds: how old generations automatic collection deletes; nil keeps all.
    public var gcKeep: Double?
    /// `[debian] keys`: files of OpenPGP keys trusted to sign Debian indexes besides Debian's
    /// own (absolute, or relative to config.toml's directory).
    public var debianKeyFiles: [String] = []
    /// `[debian] components`: the archive areas packages are looked up in (`main` by default).
    public var debianComponents = ["main"]
    /// Secret keys that sign what `devenv cache push` pushes (`[cache] secret-key-files`).
    public var cacheSecretKeyFiles: [String] = []
    /// A file holding the bearer token `devenv cache push` sends to http(s) caches
    /// (`[cache] token-file`; `DEVENV_CACHE_TOKEN` wins).
    public var cacheTokenFile: String?

    public init(
        build: BuildSettings = BuildSettings(), hookInBackground: Bool = true, gcAutomatic: Bool = false,
        gcKeep: Double? = nil
    ) {
        self.build = build
        self.hookInBackground = hookInBackground
        self.gcAutomatic = gcAutomatic
        self.gcKeep = gcKeep
    }

    /// The file the environment names; it need not exist.
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["DEVENV_CONFIG"], !explicit.isEmpty { return explicit }
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty { return config + "/devenv/config.toml" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.config/devenv/config.toml"
    }

    /// Reads the configuration at `path`; a missing file means the defaults.
    public static func load(from path: String) throws -> UserConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else { return UserConfiguration() }
        return try UserConfiguration(parsing: TOMLInputCheck.text(of: data, file: path), file: path)
    }

    public init(parsing text: String, file: String) throws {
        let document = try TOMLDocument(file: file, text: text)
        let reader = TOMLTableReader(document, path: [], table: document.root)
        try reader.rejectUnknownKeys(["sandbox", "jobs", "cores", "mirrors", "fetch", "hook", "gc", "debian", "cache"])
        // A relative path in the file is relative to the file's directory.
        let directory = (file as NSString).deletingLastPathComponent
        func besideTheFile(_ path: String) -> String { path.hasPrefix("/") ? path : directory + "/" + path }
        var settings = BuildSettings()
        if let sandbox = try reader.string("sandbox") {
            guard let policy = SandboxPolicy(rawValue: sandbox) else {
                let choices = SandboxPolicy.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw reader.error("sandbox", "sandbox must be one of \(choices), not \"\(sandbox)\"")
            }
            settings.sandbox = policy
        }
        if let jobs = try reader.integer("jobs") {
            guard jobs > 0 else { throw reader.error("jobs", "jobs must be at least 1") }
            settings.jobs = jobs
        }
        if let cores = try reader.integer("cores") {
            guard cores > 0 else { throw reader.error("cores", "cores must be at least 1") }
            settings.cores = cores
        }
        settings.fetch.mirrors = try reader.stringTable("mirrors") ?? [:]
        if let fetch = try reader.table("fetch") {
            try fetch.rejectUnknownKeys(["attempts", "parallel-downloads", "stall-timeout"])
            if let attempts = try fetch.integer("attempts") { settings.fetch.attempts = max(1, attempts) }
            if let seconds = try fetch.integer("stall-timeout") {
                guard seconds > 0 else { throw fetch.error("stall-timeout", "stall-timeout must be at least 1") }
                settings.fetch.stallTimeout = seconds
            }
            if let parallel = try fetch.integer("parallel-downloads") {
                settings.fetch.parallelDownloads = max(1, parallel)
            }
        }
        if let cache = try reader.table("cache") {
            try cache.rejectUnknownKeys(["substituters", "trusted-public-keys", "secret-key-files", "token-file"])
            cacheSecretKeyFiles = try (cache.strings("secret-key-files") ?? []).map(besideTheFile)
            cacheTokenFile = try cache.string("token-file").map(besideTheFile)
            settings.caches = try CacheSources(reading: cache)
        }
        build = settings
        gcAutomatic = false
        gcKeep = nil
        if let gc = try reader.table("gc") {
            try gc.rejectUnknownKeys(["automatic", "keep"])
            gcAutomatic = try gc.bool("automatic") ?? false
            if let keep = try gc.string("keep") {
                guard let seconds = Quantities.duration(keep) else {
                    throw gc.error("keep", "keep must be a duration like \"30d\", not \"\(keep)\"")
                }
                gcKeep = seconds
            }
        }
        if let debian = try reader.table("debian") {
            try debian.rejectUnknownKeys(["keys", "components"])
            debianKeyFiles = try (debian.strings("keys") ?? []).map(besideTheFile)
            if let components = try debian.strings("components") {
                let word = Set("abcdefghijklmnopqrstuvwxyz0123456789-".utf8)
                guard !components.isEmpty, components.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(word.contains) })
                else {
                    throw debian.error(
                        "components",
                        "'components' must name archive areas such as \"main\", \"contrib\" or \"non-free\"")
                }
                debianComponents = components
            }
        }
        hookInBackground = true
        if let hook = try reader.table("hook") {
            try hook.rejectUnknownKeys(["background"])
            hookInBackground = try hook.bool("background") ?? true
        }
    }
}

extension UserConfiguration {
    /// The bearer token for pushing to http(s) caches: `DEVENV_CACHE_TOKEN`, else what `[cache]
    /// token-file` holds; one line of printable ASCII either way.
    public func cacheToken(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        let source: String
        let text: String
        if let token = environment["DEVENV_CACHE_TOKEN"], !token.isEmpty {
            (source, text) = ("DEVENV_CACHE_TOKEN", token)
        } else if let file = cacheTokenFile {
            guard let contents = try SmallTextFile.read(file, what: "the cache token file") else {
                throw SystemError("the cache token file \(file) does not exist")
            }
            (source, text) = ("'\(file)'", contents)
        } else {
            return nil
        }
        // One line (a trailing newline, as secrets are often stored, does not count); it goes
        // into a header line, so nothing that could end it.
        let token = text.trimmingCharacters(in: .newlines)
        guard !token.isEmpty, token.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw SystemError("\(source) does not hold a token (one line of printable ASCII)")
        }
        return token
    }

    /// Debian's archive with this configuration's mirrors and keys.
    public func debianSource(store: Store, progress: any FetchProgress = SilentProgress()) -> DebianSource {
        DebianSource(
            store: store, settings: build.fetch, keyFiles: debianKeyFiles, components: debianComponents,
            progress: progress)
    }
}
