import DevenvFetch
import DevenvStore
import Foundation
import TestSupport
import Testing

/// A repository made with the git CLI with fixed dates: an executable, a symlink, nested
/// directories; a tag `v1` on the first commit, a branch `feature`, and a second commit on main.
final class GitFixture {
    let dir: TemporaryDirectory
    let store: Store

    init() throws {
        dir = try TemporaryDirectory("git")
        store = try Store(location: StoreLocation(home: dir("home")))
        try dir.sh(
            """
            export GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=t@example.com
            export GIT_AUTHOR_DATE='2022-05-01T12:00:00Z' GIT_COMMITTER_DATE='2022-05-01T12:00:00Z'
            git init -q -b main repo && cd repo
            mkdir -p src/deep && printf 'data\\n' > data.txt && printf '#!/bin/sh\\necho run\\n' > run.sh && chmod 755 run.sh
            printf 'deep\\n' > src/deep/file && ln -s data.txt link && ln -s ../../data.txt src/deep/up
            git add . && git commit -q -m one && git tag -a v1 -m 'version 1'
            git branch feature && git checkout -q feature && echo feature > feature.txt && git add . && git commit -q -m feature
            git checkout -q main
            export GIT_COMMITTER_DATE='2022-06-01T00:00:00Z'
            echo two > two.txt && git add . && git commit -q -m two
            """)
    }

    func rev(_ name: String) throws -> String { try dir.sh("git -C repo rev-parse '\(name)^{commit}'") }

    /// What Nix 2.8's `builtins.fetchGit` says about the rev, in a private store.
    func nixFetchGit(_ rev: String) throws -> (narHash: String, lastModified: Int64) {
        let expression =
            "let r = builtins.fetchGit { url = \"file://\(dir("repo"))\"; rev = \"\(rev)\"; }; in [ r.narHash r.lastModified ]"
        let output = try dir.sh(
            "XDG_CACHE_HOME=\(dir("nix-cache")) nix-instantiate --store \(dir("nix-root")) --eval --strict --json -E '\(expression)'"
        )
        let values = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [Any]
        return (values[0] as! String, Int64(values[1] as! Int))
    }
}

struct GitFetcherTests {
    @Test func theDefaultBranchIsFetchedAsNixFetchesIt() throws {
        let fixture = try GitFixture()
        let revision = try GitFetcher(store: fixture.store).fetch(GitSource(url: fixture.dir("repo")))
        #expect(revision.rev == (try fixture.rev("main")))
        let nix = try fixture.nixFetchGit(revision.rev)
        #expect(revision.narHash == nix.narHash)
        #expect(revision.lastModified == nix.lastModified)
        #expect(revision.lastModified == 1_654_041_600)
        let root = revision.storePath
        #expect(root.hasSuffix("-source"))
        #expect(!FileManager.default.fileExists(atPath: root + "/.git"))
        #expect(
            try fixture.dir.sh("cat '\(root)/src/deep/up' && readlink '\(root)/link' && '\(root)/run.sh'")
                == "data\ndata.txt\nrun")
    }

    @Test func refsTagsAndRevsResolveToCommits() throws {
        let fixture = try GitFixture()
        let fetcher = GitFetcher(store: fixture.store)
        let tagged = try fetcher.fetch(GitSource(url: "file://" + fixture.dir("repo"), ref: "v1"))
        #expect(tagged.rev == (try fixture.rev("v1")))
        #expect(tagged.lastModified == 1_651_406_400)
        #expect(tagged.narHash == (try fixture.nixFetchGit(tagged.rev)).narHash)
        let feature = try fetcher.fetch(GitSource(url: fixture.dir("repo"), ref: "feature"))
        #expect(feature.rev == (try fixture.rev("feature")))
        #expect(FileManager.default.fileExists(atPath: feature.storePath + "/feature.txt"))
        let pinned = try fetcher.fetch(GitSource(url: fixture.dir("repo"), rev: tagged.rev))
        #expect(pinned == tagged)
    }

    @Test func aKnownRevIsFreeEvenWithoutTheRepository() throws {
        let fixture = try GitFixture()
        let fetcher = GitFetcher(store: fixture.store)
        let first = try fetcher.fetch(GitSource(url: fixture.dir("repo"), rev: try fixture.rev("feature")))
        try fixture.dir.sh("rm -rf repo")
        #expect(try fetcher.fetch(GitSource(url: fixture.dir("repo"), rev: first.rev)) == first)
    }

    @Test func badRefsRevsAndHashesAreClearErrors() throws {
        let fixture = try GitFixture()
        let fetcher = GitFetcher(store: fixture.store)
        let missing = #expect(throws: FetchError.self) {
            try fetcher.fetch(GitSource(url: fixture.dir("repo"), ref: "nope"))
        }
        #expect(missing?.description == "\(fixture.dir("repo")) has no ref 'nope'")
        #expect(throws: FetchError.self) {
            try fetcher.fetch(GitSource(url: fixture.dir("repo"), rev: String(repeating: "a", count: 40)))
        }
        #expect(throws: FetchError.self) { try fetcher.fetch(GitSource(url: fixture.dir("repo"), rev: "abc123")) }
        #expect(throws: FetchError.self) { try fetcher.fetch(GitSource(url: fixture.dir("no-such-repo"))) }
        let wrong = Hasher.hash(.sha256, [UInt8]())
        let mismatch = #expect(throws: HashMismatch.self) {
            try fetcher.fetch(GitSource(url: fixture.dir("repo")), expectedNarHash: wrong)
        }
        #expect(mismatch?.expected == wrong)
        #expect(try fixture.store.validPaths() == [])
    }
}
