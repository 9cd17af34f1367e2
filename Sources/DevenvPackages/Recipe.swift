import DevenvFetch
import DevenvStore

/// A package definition of a package set: what it is, where its files come from on each system,
/// how it is built, and what it adds to an environment.
public struct Recipe: Hashable, Sendable {
    /// A file to fetch for one system.
    public struct Source: Hashable, Sendable {
        public var url: String
        public var hash: Hash
    }

    public var name: String
    public var version: String
    public var description: String
    public var homepage: String
    public var license: String
    /// Where the program comes from (for binaries: who built them and where they are published).
    public var origin: String
    /// By system (`x86_64-linux`, `aarch64-darwin`, ...).
    public var sources: [String: Source]
    /// How sources are unpacked; nil keeps the downloaded file as it is.
    public var unpack: UnpackOptions?
    /// A build script; without one the output is the unpacked source.
    public var script: String?
    /// Names of packages (of the same set) the build needs.
    public var dependencies: [String]
    /// Whether the script runs without the host's tools: only its dependencies' (`hermetic`).
    public var hermetic: Bool = false
    /// Packages (of the same set) whose outputs a Linux build of it is relocated onto: the C
    /// library (and C++ runtime) that prebuilt programs from elsewhere were linked against.
    public var relocateOnto: [String] = []
    /// `dependencies` and `relocateOnto`: every package it may need.
    public var allDependencies: [String] { dependencies + relocateOnto }
    /// Variables for the build.
    public var buildEnvironment: [String: String]
    /// Directories of the output, relative to it, that an environment puts on PATH (for a
    /// Debian package: before Debian's `usr/bin`, `bin`, `usr/sbin`, `sbin` and `usr/games`).
    public var paths: [String]
    /// Variables an environment gets; `$out` in a value stands for the output path.
    public var environment: [String: String]
    /// Links made in the output before it is relocated (path in the output → target as the
    /// programs see `/`): what a Debian package's maintainer scripts would make, such as the
    /// alternative `/usr/bin/cc`.
    public var links: [String: String] = [:]
    /// `SUITE/PACKAGE`: the package is that package of Debian's archive, resolved (with its
    /// closure) when a project is locked.
    public var debian: DebianSource.Reference? = nil
    /// Packages of the same suite resolved beside `debian`, their outputs its dependencies: what
    /// Debian only recommends but the package is no use without (`libc6-dev` for `gcc`).
    public var debianWith: [String] = []
    /// Why nobody can provide the package here (a name people ask for, said not to exist rather
    /// than replaced by another version).
    public var unavailable: String? = nil

    /// The name without a version suffix: `go_1_24` → `go`, `nodejs_24` → `nodejs`.
    public var family: String {
        var parts = name.split(separator: "_", omittingEmptySubsequences: false)
        while parts.count > 1, let last = parts.last, last.allSatisfy(\.isNumber) { parts.removeLast() }
        return parts.joined(separator: "_")
    }

    /// The systems it can be realized for, sorted.
    public var systems: [String] {
        debian != nil ? DebianArchive.architectures.keys.sorted() : sources.keys.sorted()
    }

}
