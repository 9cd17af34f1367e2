import DevenvCache
import DevenvFetch
import Foundation

/// Whether builds run in a bubblewrap sandbox.
public enum SandboxPolicy: String, Sendable, CaseIterable {
    /// Sandboxed when bwrap is there; otherwise unsandboxed, with one warning.
    case automatic = "auto"
    /// Refuse to build without bwrap.
    case required
    /// Never sandbox.
    case disabled
}

/// How realizing behaves.
public struct BuildSettings: Sendable, Equatable {
    /// Derivations realized at once (`-j N`).
    public var jobs: Int
    /// Cores a single build may use (`$DEVENV_BUILD_CORES`).
    public var cores: Int
    public var sandbox: SandboxPolicy
    public var fetch: FetchSettings
    /// Binary caches asked, in order, before an output is built, and the keys whose signatures
    /// make their paths trusted (config.toml's `[cache]`).
    public var caches = CacheSources()

    public init(
        jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
        cores: Int = ProcessInfo.processInfo.activeProcessorCount,
        sandbox: SandboxPolicy = .automatic, fetch: FetchSettings = FetchSettings()
    ) {
        self.jobs = jobs
        self.cores = cores
        self.sandbox = sandbox
        self.fetch = fetch
    }
}

/// What realizing tells whoever shows progress; the build layer never prints.
public protocol BuildProgress: FetchProgress {
    /// A build of `name` into `path` starts.
    func building(_ name: String, path: String, how: BuildKind)
    /// A build finished and its output is valid.
    func built(_ name: String, path: String, seconds: Double)
    /// Something the user should know but that does not stop the work.
    func warning(_ message: String)
    /// `path` came from the binary cache `cache` instead of being fetched or built.
    func substituted(path: String, from cache: String)
}

extension BuildProgress {
    public func substituted(path: String, from cache: String) {}
}

/// How an output is made.
public enum BuildKind: Sendable {
    /// Its source is unpacked; nothing runs.
    case unpack
    /// Its script runs in the bubblewrap sandbox.
    case sandboxed
    /// Its script runs without a sandbox.
    case unsandboxed
}
