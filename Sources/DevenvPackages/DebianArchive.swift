import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

/// Debian's archive (or a mirror of it) as a package source: a suite's signed index, verified
/// against the archive's keys before anything of it is used, and its `Packages` files, each
/// checked against the SHA-256 the verified index lists. Both are cached under `$DEVENV_HOME`
/// and read again from the mirror only when asked to refresh (or when the cache lacks them).
public struct DebianArchive {
    /// Debian's own mirror network (apt's default on Debian), over HTTPS. Other mirrors come in
    /// through config.toml's `[mirrors]`, so that derivations name the same URLs everywhere.
    public static let defaultMirror = "https://deb.debian.org/debian"

    /// devenv's systems and Debian's architectures.
    public static let architectures = ["x86_64-linux": "amd64", "aarch64-linux": "arm64"]

    /// Debian's archive signing keys, shipped in the binary (`packages/debian-keys`).
    public static let builtinKeys: [OpenPGP.PublicKey] = {
        EmbeddedFiles.files.filter { $0.key.hasPrefix("debian-keys/") }.sorted { $0.key < $1.key }
            .flatMap { (try? OpenPGP.keys(in: Array($0.value.utf8))) ?? [] }
    }()

    public let mirror: String
    public let keys: [OpenPGP.PublicKey]
    let fetcher: URLFetcher
    /// `$DEVENV_HOME/debian/<mirror>`.
    let cache: String

    public init(
        mirror: String = defaultMirror, keys: [OpenPGP.PublicKey] = builtinKeys, fetcher: URLFetcher, home: String
    ) {
        self.mirror = mirror.hasSuffix("/") ? String(mirror.dropLast()) : mirror
        self.keys = keys
        self.fetcher = fetcher
        cache = home + "/debian/" + String(Hasher.hash(.sha256, Array(self.mirror.utf8)).base16.prefix(16))
    }

    /// The suite's Release, verified: from the cache unless `refresh` (or the cache has none, or
    /// the cached one is past its Valid-Until).
    public func release(_ suite: String, refresh: Bool = false, now: Date = Date()) throws -> DebianRelease {
        guard DebianDependency.isPackageName(suite) else { throw PackageError("'\(suite)' is not a Debian suite name") }
        let cached = "\(cache)/\(suite)/InRelease"
        if !refresh,
            let text = FileManager.default.contents(atPath: cached).map({ String(decoding: $0, as: UTF8.self) }),
            let release = try? verified(text, suite: suite, now: now)
        {
            return release
        }
        try FileManager.default.createDirectory(atPath: "\(cache)/\(suite)", withIntermediateDirectories: true)
        let download = cached + ".new-\(getpid())"
        defer { unlink(download) }
        try fetcher.download("\(mirror)/dists/\(suite)/InRelease", to: download, expecting: nil)
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: download)), as: UTF8.self)
        let release = try verified(text, suite: suite, now: now)
        try SystemCall.retrying("cannot write '\(cached)'") { rename(download, cached) }
        return release
    }

    private func verified(_ text: String, suite: String, now: Date) throws -> DebianRelease {
        let place = "\(mirror)/dists/\(suite)/InRelease"
        let signed: OpenPGP.Verified
        do {
            signed = try OpenPGP.verifyClearsigned(text, keys: keys, now: now)
        } catch let error as FetchError {
            throw PackageError("\(place): \(error.description)")
        }
        let release = try DebianRelease(text: signed.text, file: place)
        try release.check(at: now, file: place)
        return release
    }

    /// Every binary package of `architecture` in the suite's `components` (with `all` where the
    /// suite keeps those apart), each `Packages` file checked against the Release.
    public func packages(_ suite: String, release: DebianRelease, architecture: String, components: [String] = ["main"])
        throws -> [DebianBinary]
    {
        var binaries: [DebianBinary] = []
        for component in components {
            guard release.components.contains(component) else {
                throw PackageError("the suite \(suite) has no component '\(component)'")
            }
            for arch in [architecture] + (release.allIsSeparate ? ["all"] : []) {
                let path = "\(component)/binary-\(arch)/Packages"
                binaries += try DebianStanza.parse(index(suite, path: path, release: release), file: "\(suite)/\(path)")
                    .map {
                        try DebianBinary(stanza: $0, file: "\(suite)/\(path)", suite: suite)
                    }
            }
        }
        return binaries
    }

    /// The bytes of one `Packages` file: cached by its SHA-256, else fetched compressed, checked,
    /// decompressed and checked again.
    private func index(_ suite: String, path: String, release: DebianRelease) throws -> Data {
        guard let compressed = release.files[path + ".xz"] else {
            throw PackageError("the Release of \(suite) lists no \(path).xz")
        }
        let expected = release.files[path]
        let cached = "\(cache)/\(suite)/\(expected?.sha256 ?? compressed.sha256).Packages"
        if let data = FileManager.default.contents(atPath: cached) { return data }
        let xz = cached + ".xz-\(getpid())"
        let plain = cached + ".new-\(getpid())"
        defer {
            unlink(xz)
            unlink(plain)
        }
        let url =
            release.acquireByHash
            ? "\(mirror)/dists/\(suite)/\((path as NSString).deletingLastPathComponent)/by-hash/SHA256/\(compressed.sha256)"
            : "\(mirror)/dists/\(suite)/\(path).xz"
        try fetcher.download(url, to: xz, expecting: try Hash(parsing: "sha256:" + compressed.sha256))
        try Unpacker.decompress(xz, to: plain)
        let data = try Data(contentsOf: URL(fileURLWithPath: plain))
        if let expected, Hasher.hash(.sha256, data).base16 != expected.sha256 {
            throw PackageError("\(url) does not decompress to the \(path) the Release lists")
        }
        try SystemCall.retrying("cannot write '\(cached)'") { rename(plain, cached) }
        return data
    }
}
