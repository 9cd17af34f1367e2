import DevenvBuild
import DevenvFetch
import DevenvStore
import Foundation

/// Debian's archive as locking uses it: `debian:SUITE/PACKAGE` resolved in the suite's verified
/// index to its closure, pinned `.deb` by `.deb`, as derivations that relocate it into the store.
/// Each suite's index is read once per process; it is fetched only when the cache lacks it or
/// has no such package, or when asked to refresh (`devenv update`).
public final class DebianSource: @unchecked Sendable {
    /// `SUITE/PACKAGE`, as `debian:` requests and recipes' `debian` name a package.
    public struct Reference: Hashable, Sendable, CustomStringConvertible {
        public let suite: String
        public let package: String

        /// Nil unless both parts are Debian package names (which suites' names are too).
        public init?(_ text: some StringProtocol) {
            let parts = String(text).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, parts.allSatisfy(DebianDependency.isPackageName) else { return nil }
            (suite, package) = (parts[0], parts[1])
        }

        public var description: String { suite + "/" + package }
    }

    /// One suite's packages for one architecture, with those of the suites it is resolved with.
    public struct Suite {
        public let name: String
        public let release: DebianRelease
        public let architecture: String
        public let resolver: DebianResolver
        /// The newest `Date` of its index and its base suites' (`baseSuites(of:)`).
        public let date: Date
    }

    /// The suites that `suite` is resolved together with, as apt is given them beside it: a
    /// backports suite's packages are built against its stable release and depend on that
    /// release's packages (`bookworm-backports` → `bookworm`; `-backports-sloppy` needs
    /// `-backports` too), and `-updates` holds only what changed since its release.
    public static func baseSuites(of suite: String) -> [String] {
        for (suffix, bases) in [
            ("-backports-sloppy", ["-backports", ""]), ("-backports", [""]), ("-proposed-updates", [""]),
            ("-updates", [""]),
        ] where suite.hasSuffix(suffix) && suite.count > suffix.count {
            let release = String(suite.dropLast(suffix.count))
            return bases.map { release + $0 }
        }
        return []
    }

    private let store: Store
    private let settings: FetchSettings
    private let keyFiles: [String]
    /// The archive areas looked up (config.toml's `[debian] components`).
    private let components: [String]
    private let progress: any FetchProgress
    private let lock = NSLock()
    /// Made on first use: most commands that carry a source never lock a Debian package.
    private var archive: DebianArchive?
    private var suites: [String: Suite] = [:]
    /// Suites fetched anew in this process: never twice.
    private var refreshed: Set<String> = []

    /// `keyFiles`: OpenPGP keys trusted besides Debian's own (config.toml's `[debian] keys`),
    /// read when an index is first needed.
    public init(
        store: Store, settings: FetchSettings = FetchSettings(), keyFiles: [String] = [],
        components: [String] = ["main"],
        progress: any FetchProgress = SilentProgress()
    ) {
        self.store = store
        self.settings = settings
        self.keyFiles = keyFiles
        self.components = components
        self.progress = progress
    }

    /// The archive with Debian's keys and the configured ones; the caller holds `lock`.
    private func openArchive() throws -> DebianArchive {
        if let archive { return archive }
        let keys = try keyFiles.flatMap { file -> [OpenPGP.PublicKey] in
            guard let data = FileManager.default.contents(atPath: file) else {
                throw PackageError("config.toml: [debian] keys: cannot read \(file)")
            }
            do {
                return try OpenPGP.keys(in: [UInt8](data))
            } catch {
                throw PackageError("config.toml: [debian] keys: \(file): \(error)")
            }
        }
        let opened = DebianArchive(
            keys: DebianArchive.builtinKeys + keys,
            fetcher: URLFetcher(store: store, settings: settings, progress: progress), home: store.location.home)
        archive = opened
        return opened
    }

    /// The suite's index for `system`'s architecture, with its base suites' (`baseSuites(of:)`),
    /// their packages at apt's priorities; `refresh` fetches them anew (once per process).
    public func suite(_ name: String, system: String, refresh: Bool = false) throws -> Suite {
        guard let architecture = DebianArchive.architectures[system] else {
            throw PackageError("Debian has no architecture for \(system)")
        }
        lock.lock()
        defer { lock.unlock() }
        let key = name + "/" + architecture
        let fetching = refresh && !refreshed.contains(key)
        if !fetching, let suite = suites[key] { return suite }
        let archive = try openArchive()
        var releases: [String: DebianRelease] = [:]
        var binaries: [DebianBinary] = []
        for suite in [name] + DebianSource.baseSuites(of: name) {
            let release = try archive.release(suite, refresh: fetching)
            releases[suite] = release
            binaries += try archive.packages(
                suite, release: release, architecture: architecture,
                // A base suite may lack an area the suite asked for has; the suite itself may not.
                components: suite == name ? components : components.filter(release.components.contains))
        }
        let suite = Suite(
            name: name, release: releases[name]!, architecture: architecture,
            resolver: DebianResolver(binaries, suite: name, priorities: releases.mapValues(\.priority)),
            date: releases.values.map(\.date).max()!)
        suites[key] = suite
        if fetching { refreshed.insert(key) }
        return suite
    }

    /// A package of a suite as locking would pin it.
    public struct Resolved {
        public let suite: Suite
        public let binary: DebianBinary
        /// The package and everything it needs, sorted by name.
        public let closure: [DebianBinary]
        /// The derivation of its output (its closure's outputs as dependencies).
        public let derivation: Derivation

        /// What the lock records: every `.deb` of the closure, with the suite it came from.
        public var pin: DebianPin {
            DebianPin(suite: suite.name, date: DebianPin.timestamp(suite.date), debs: closure.map(DebianPin.Deb.init))
        }
    }

    /// `package` of `suite` for `system`, resolved, as `recipe` (of a set) shapes it: its `paths`
    /// (directories of its output) go on PATH before Debian's own, its `links` are made in the
    /// output, and its `debianWith` packages are resolved beside it, their outputs dependencies of
    /// its own. A package the cached index lacks makes it fetch the index anew once before it is
    /// refused. The package must be the suite's own (not only its base suites'), as apt's
    /// `PACKAGE/SUITE` has it; the `debianWith` packages may come from the base suites.
    public func resolve(
        _ package: String, suite name: String, system: String, recipe: Recipe? = nil, refresh: Bool = false
    ) throws -> Resolved {
        let extra = recipe?.debianWith ?? []
        func missing(_ suite: Suite) -> [String] {
            (suite.resolver.binary(package)?.suite == name ? [] : [package])
                + extra.filter { suite.resolver.binary($0) == nil }
        }
        var suite = try self.suite(name, system: system, refresh: refresh)
        if !missing(suite).isEmpty { suite = try self.suite(name, system: system, refresh: true) }
        if let wanted = missing(suite).first {
            throw PackageError("Debian's \(name) has no package \(wanted) for \(suite.architecture)")
        }
        let binary = suite.resolver.binary(package)!
        let closure = try suite.resolver.closure([package] + extra)
        let outputs = try DebianOutputs(
            closure: closure, resolver: suite.resolver, mirror: DebianArchive.defaultMirror, system: system)
        var derivation = outputs.derivation(of: package)!
        // What depends on the package is in its own output (a cycle), so nothing else has this derivation.
        for other in extra.compactMap(outputs.derivation(of:))
        where other != derivation && !derivation.dependencies.contains(other) {
            derivation.dependencies.append(other)
        }
        if let recipe {
            derivation.paths = recipe.paths + derivation.paths
            derivation.links = recipe.links
        }
        return Resolved(suite: suite, binary: binary, closure: closure, derivation: derivation)
    }

    /// The package a recipe of a set names with `debian`, shaped by the recipe.
    public func resolve(_ recipe: Recipe, system: String, refresh: Bool = false) throws -> Resolved {
        guard let reference = recipe.debian else { throw PackageError("\(recipe.name) is not a Debian package") }
        return try resolve(reference.package, suite: reference.suite, system: system, recipe: recipe, refresh: refresh)
    }

    /// Packages of the suite in whose name or summary every word of `query` occurs (any case),
    /// by name.
    public func search(_ query: String, suite name: String, system: String) throws -> [DebianBinary] {
        let query = SearchQuery(query)
        return try self.suite(name, system: system).resolver.binaries.filter {
            $0.suite == name && query.matches($0.name + " " + $0.summary)
        }.sorted { $0.name < $1.name }
    }
}

/// What a lock records of a Debian package: the suite and the date of its index, and each `.deb`
/// of the closure, so that the lock alone names every file (and the snapshot that has it).
public struct DebianPin: Hashable, Sendable {
    public struct Deb: Hashable, Sendable {
        /// The suite whose index listed it: the pin's, or one of its base suites.
        public var suite: String
        public var package: String
        public var version: String
        public var architecture: String
        /// The pool path under the mirror.
        public var filename: String
        public var sha256: String
        public var size: Int

        public init(
            suite: String, package: String, version: String, architecture: String, filename: String, sha256: String,
            size: Int
        ) {
            self.suite = suite
            self.package = package
            self.version = version
            self.architecture = architecture
            self.filename = filename
            self.sha256 = sha256
            self.size = size
        }

        init(_ binary: DebianBinary) {
            self.init(
                suite: binary.suite, package: binary.name, version: binary.version.description,
                architecture: binary.architecture,
                filename: binary.filename, sha256: binary.sha256, size: binary.size)
        }
    }

    public var suite: String
    /// The index's `Date`, as `YYYYMMDDTHHMMSSZ` (the form Debian's snapshot service names times).
    public var date: String
    public var debs: [Deb]

    public init(suite: String, date: String, debs: [Deb]) {
        self.suite = suite
        self.date = date
        self.debs = debs
    }

    /// One pin for the Debian packages a package of the set depends on (nil for none): a lock
    /// records one suite per package, so they must come from one suite.
    public init?(merging pins: [DebianPin], for name: String) throws {
        guard let first = pins.first else { return nil }
        let suites = Set(pins.map(\.suite))
        guard suites.count == 1 else {
            throw PackageError(
                "\(name) depends on Debian packages of several suites (\(suites.sorted().joined(separator: ", "))); they must come from one"
            )
        }
        var seen: Set<String> = []
        let debs = pins.flatMap(\.debs).filter { seen.insert($0.filename).inserted }.sorted { $0.package < $1.package }
        self.init(suite: first.suite, date: pins.map(\.date).max()!, debs: debs)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    /// Debian's snapshot service, which keeps every `.deb` the archive ever had, by date.
    public static let snapshotService = "https://snapshot.debian.org/archive/debian"

    /// Each `.deb`'s URL on Debian's mirror → its URL in the snapshot of the pinned date, where a
    /// `.deb` that the mirrors have dropped (superseded since the lock was written) still is.
    public var snapshotFallbacks: [String: [String]] {
        Dictionary(
            debs.map {
                (
                    DebianArchive.defaultMirror + "/" + $0.filename,
                    ["\(DebianPin.snapshotService)/\(date)/\($0.filename)"]
                )
            },
            uniquingKeysWith: { first, _ in first })
    }

    /// Whether `date` is a timestamp as `date` holds it.
    public static func isTimestamp(_ date: String) -> Bool {
        let bytes = Array(date.utf8)
        return bytes.count == 16 && bytes[8] == UInt8(ascii: "T") && bytes[15] == UInt8(ascii: "Z")
            && (bytes[0..<8] + bytes[9..<15]).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
