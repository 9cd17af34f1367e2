import DevenvFetch
import DevenvStore
import Foundation
import TestSupport
import Testing

struct PathFetcherTests {
    @Test func aDirectoryBecomesASourcePathAsNixNamesIt() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        let store = try Store(location: StoreLocation(home: dir("home")))
        let fetched = try PathFetcher(store: store).fetch(dir("narA"))
        #expect(fetched.narHash.sri == "sha256-3+qR2bvuUuilEOikOh95wGjZRkf5HER88tvhBIQ+9V8=")
        #expect(
            fetched.path
                == (try store.directory.path(for: .fixed(recursive: true, hash: fetched.narHash), name: "source")))
        #expect(try PathFetcher(store: store).fetch(dir("narA"), expectedNarHash: fetched.narHash).path == fetched.path)
        try dir.sh("echo changed > narA/hello.txt")
        let error = #expect(throws: HashMismatch.self) {
            try PathFetcher(store: store).fetch(dir("narA"), expectedNarHash: fetched.narHash)
        }
        #expect(error?.expected == fetched.narHash)
        #expect(try store.validPaths() == [fetched.path])
    }
}
