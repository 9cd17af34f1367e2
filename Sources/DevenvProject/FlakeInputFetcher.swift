import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation

/// A flake input in the store: its tree (named `source`, so its path follows from the NAR hash
/// alone, as in Nix) and the attributes flake.lock's `locked` records for it.
struct FetchedFlakeInput {
    var locked: [String: CanonicalJSON]
    var path: String

    /// What a flake gets for the input besides its outputs (Nix's `sourceInfo`): `outPath`,
    /// `narHash`, `lastModified(Date)`, and for git `rev`, `shortRev`, `revCount`.
    var sourceInfo: [String: CanonicalJSON] {
        var info: [String: CanonicalJSON] = ["outPath": .string(path)]
        for name in ["narHash", "rev", "revCount", "lastModified"] { info[name] = locked[name] }
        if case .string(let rev)? = locked["rev"] { info["shortRev"] = .string(String(rev.prefix(7))) }
        if case .integer(let time)? = locked["lastModified"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMddHHmmss"
            info["lastModifiedDate"] = .string(formatter.string(from: Date(timeIntervalSince1970: Double(time))))
        }
        return info
    }
}

/// A flake input the store lacks, where nothing may be fetched (`devenv status`).
public struct FlakeInputNotFetched: Error, CustomStringConvertible {
    public let description: String

    static let notYet = FlakeInputNotFetched(description: "not fetched yet (run `devenv lock`)")
}

/// Fetches flake inputs into the store: `path` directories as they are, `git` and `github`
/// commits with libgit2 (GitHub over https), `tarball` archives with their one top directory
/// stripped. A locked input whose tree the store has costs nothing; one it lacks is fetched again
/// and must have its locked NAR hash.
struct FlakeInputFetcher {
    let store: Store
    let urls: URLFetcher
    /// False where only what the store has may be used (for a project not allowed, say).
    let fetching: Bool

    init(store: Store, fetching: Bool = true) {
        self.store = store
        urls = URLFetcher(store: store)
        self.fetching = fetching
    }

    /// The newest tree `reference` names; relative paths are from `base`.
    func fetch(_ reference: FlakeReference, base: String) throws -> FetchedFlakeInput {
        guard fetching else { throw FlakeInputNotFetched.notYet }
        var locked = reference.attributes
        locked["dir"] = nil
        return try fetch(&locked, base: base, expected: nil, dir: reference.attributes["dir"])
    }

    /// The NAR hash of what `locked` pins as its source has now, when that differs from the pin: a
    /// `path:` directory as it is, anything else fetched unless the store has it (then checked).
    /// A relative path without `base` is inside its flake's tree, pinned with it.
    func changedSource(locked: [String: CanonicalJSON], base: String?) throws -> Hash? {
        guard case .string(let type)? = locked["type"], type == "path", case .string(let path)? = locked["path"]
        else {
            _ = try fetch(locked: locked, base: base ?? "/")
            return nil
        }
        guard let directory = path.hasPrefix("/") ? path : base.map({ $0 + "/" + path }) else { return nil }
        let actual = try Nar.hash(of: directory).hash
        return locked["narHash"] == .string(actual.sri) ? nil : actual
    }

    /// Exactly the tree `locked` pins.
    func fetch(locked: [String: CanonicalJSON], base: String) throws -> FetchedFlakeInput {
        guard case .string(let sri)? = locked["narHash"], let narHash = try? Hash(parsing: sri) else {
            throw ManifestError("a locked input has no valid narHash")
        }
        let path = try store.directory.path(for: .fixed(recursive: true, hash: narHash), name: "source")
        if try store.isValid(path) {
            return FetchedFlakeInput(locked: locked, path: store.directory.fullPath(of: path))
        }
        guard fetching else { throw FlakeInputNotFetched.notYet }
        var pinned = locked
        let dir = pinned.removeValue(forKey: "dir")
        return try fetch(&pinned, base: base, expected: narHash, dir: dir)
    }

    private func fetch(_ locked: inout [String: CanonicalJSON], base: String, expected: Hash?, dir: CanonicalJSON?)
        throws -> FetchedFlakeInput
    {
        let reference = try FlakeReference(attributes: locked)
        let stored: StorePath
        switch reference.type {
        case "path":
            let relative = reference.string("path")!
            let directory = relative.hasPrefix("/") ? relative : base + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw ManifestError("no directory \(directory)") }
            stored = try changed(reference) {
                try PathFetcher(store: store).fetch(directory, expectedNarHash: expected).path
            }
            // Nix 2.8 copies the flake to the store first, where a relative path's time is 1.
            if locked["lastModified"] == nil {
                locked["lastModified"] = .integer(
                    relative.hasPrefix("/") ? try InputResolver.newestModification(in: directory) : 1)
            }
        case "git", "github":
            let url =
                reference.type == "git"
                ? reference.string("url")!
                : "https://\(reference.string("host") ?? "github.com")/\(reference.string("owner")!)/\(reference.string("repo")!).git"
            let revision = try changed(reference) {
                try GitFetcher(store: store).fetch(
                    GitSource(url: url, ref: reference.string("ref"), rev: reference.string("rev")),
                    expectedNarHash: expected)
            }
            stored = try store.directory.storePath(parsing: revision.storePath)
            locked["rev"] = .string(revision.rev)
            locked["lastModified"] = .integer(revision.lastModified)
            if reference.type == "git" {
                // The ref asked for, else (as Nix 2.8 for a local repository) the branch HEAD names.
                locked["ref"] = (reference.string("ref") ?? revision.headBranch).map(CanonicalJSON.string)
                locked["revCount"] = .integer(Int64(revision.revCount))
            } else {
                locked["ref"] = nil
            }
        case "tarball":
            stored = try changed(reference) { try unpack(reference.string("url")!, expected: expected) }
        default:
            throw ManifestError("devenv has no flake registry: give the input a URL")
        }
        let narHash = try store.validPathInfo(stored).narHash
        locked["narHash"] = .string(narHash.sri)
        locked["dir"] = dir
        return FetchedFlakeInput(locked: locked, path: store.directory.fullPath(of: stored))
    }

    /// A tree that differs from its pin says which input and what to do.
    private func changed<T>(_ reference: FlakeReference, _ fetch: () throws -> T) throws -> T {
        do {
            return try fetch()
        } catch let mismatch as HashMismatch {
            throw ManifestError(
                "\(reference.url) changed since flake.lock pinned it (NAR hash \(mismatch.expected.sri), now \(mismatch.actual.sri)); run `devenv update`"
            )
        }
    }

    /// Downloads an archive and adds what its one top directory holds.
    private func unpack(_ url: String, expected: Hash?) throws -> StorePath {
        let download = try store.makeStagingArea()
        defer { download.discard() }
        try urls.download(url, to: download.directory + "/archive", expecting: nil)
        let staging = try store.makeStagingArea()
        defer { staging.discard() }
        try Unpacker.unpack(download.directory + "/archive", into: staging.tree, options: UnpackOptions(strip: 1))
        return try store.addContentAddressed(staging, name: "source", recursive: true, expected: expected)
    }
}
