import CGit2
import DevenvBasics
import DevenvStore
import Foundation
import Glibc

/// A git repository to fetch: a path, `file://` or `https://` URL, at a ref (branch or tag;
/// default: the remote's HEAD) or an exact rev.
public struct GitSource: Hashable, Sendable {
    public var url: String
    public var ref: String?
    public var rev: String?

    public init(url: String, ref: String? = nil, rev: String? = nil) {
        self.url = url
        self.ref = ref
        self.rev = rev
    }
}

/// A fetched commit as a lock records it: the rev, the branch the repository's HEAD named when
/// it was fetched (if it said), its committer time (`lastModified`), how many commits its history
/// has (`revCount`), and the NAR hash and store path of its tree (without `.git`), named `source`
/// as Nix names inputs.
public struct GitRevision: Codable, Hashable, Sendable {
    public var rev: String
    public var headBranch: String?
    public var lastModified: Int64
    public var revCount: Int
    public var narHash: String
    public var storePath: String
}

/// Fetches git trees with libgit2 into the store. Repositories are cached (bare) under
/// `cacheDirectory`, and fetched revs are remembered, so fetching a known rev again touches
/// neither git nor the network.
public final class GitFetcher: Sendable {
    let store: Store
    let cacheDirectory: String

    private static let initialized: Bool = { git_libgit2_init() >= 0 }()

    public init(store: Store, cacheDirectory: String? = nil) {
        self.store = store
        self.cacheDirectory = cacheDirectory ?? store.location.home + "/cache/git"
    }

    public func fetch(_ source: GitSource, expectedNarHash: Hash? = nil) throws -> GitRevision {
        if let rev = source.rev, let known = try remembered(rev), try isUsable(known, expectedNarHash) { return known }
        guard GitFetcher.initialized else { throw FetchError("cannot initialize libgit2") }
        let key = Hasher.hash(.sha256, Array(source.url.utf8)).nix32.prefix(32)
        try FileManager.default.createDirectory(atPath: cacheDirectory + "/repos", withIntermediateDirectories: true)
        let lock = try PathLock.acquire("\(cacheDirectory)/repos/\(key).lock")
        defer { lock.release() }
        let repository = try GitRepository(bareAt: "\(cacheDirectory)/repos/\(key).git")
        let (commit, headBranch) = try repository.fetchCommit(source)
        if var known = try remembered(commit.id), try isUsable(known, expectedNarHash) {
            known.headBranch = headBranch ?? known.headBranch
            return known
        }

        let staging = try store.makeStagingArea()
        defer { staging.discard() }
        try repository.export(commit, to: staging.tree)
        let path = try store.addContentAddressed(staging, name: "source", recursive: true, expected: expectedNarHash)
        let info = try store.validPathInfo(path)
        let revision = GitRevision(
            rev: commit.id, headBranch: headBranch, lastModified: commit.time,
            revCount: try repository.revisionCount(of: commit),
            narHash: info.narHash.sri,
            storePath: store.directory.fullPath(of: path))
        try remember(revision)
        return revision
    }

    private func memoryFile(_ rev: String) -> String { "\(cacheDirectory)/revs/\(rev).json" }

    private func remembered(_ rev: String) throws -> GitRevision? {
        guard let data = FileManager.default.contents(atPath: memoryFile(rev)) else { return nil }
        return try? JSONDecoder().decode(GitRevision.self, from: data)
    }

    private func isUsable(_ revision: GitRevision, _ expected: Hash?) throws -> Bool {
        if let expected, expected.sri != revision.narHash { return false }
        return try store.isValid(try store.directory.storePath(parsing: revision.storePath))
    }

    private func remember(_ revision: GitRevision) throws {
        try FileManager.default.createDirectory(atPath: cacheDirectory + "/revs", withIntermediateDirectories: true)
        try JSONEncoder().encode(revision).write(to: URL(fileURLWithPath: memoryFile(revision.rev)), options: .atomic)
    }
}
