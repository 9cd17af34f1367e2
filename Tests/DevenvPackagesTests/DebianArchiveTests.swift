import DevenvFetch
import DevenvPackages
import DevenvStore
import Foundation
import TestSupport
import Testing

/// A Debian suite read from a mirror the tests make: its InRelease verified against the test
/// key, its Packages files checked against it, all cached; every kind of bad index refused.
struct DebianArchiveTests {
    static let packages = [
        DebianRepository.Package(
            "greet", "1.0-1", fields: ["Depends": "libgreet1 (>= 1.0), greet-data", "Provides": "greeter"],
            files: ["usr/bin/greet": ("#!/bin/sh\necho hello\n", true)]),
        DebianRepository.Package(
            "libgreet1", "1.2-3", files: ["usr/lib/x86_64-linux-gnu/libgreet.so.1": ("lib", false)]),
        DebianRepository.Package(
            "greet-data", "1.0-1", architecture: "all", files: ["usr/share/greet/words": ("hi", false)]),
    ]

    final class Fixture: @unchecked Sendable {
        let dir: TemporaryDirectory
        let repository: DebianRepository
        let server: HTTPServer
        let store: Store

        init(validUntil: Int? = nil, sign: Bool = true) throws {
            dir = try TemporaryDirectory("debian")
            try dir.sh("mkdir -p mirror home")
            repository = DebianRepository(root: dir("mirror"))
            try repository.build(DebianArchiveTests.packages, validUntil: validUntil, sign: sign)
            server = try HTTPServer(root: dir("mirror"))
            store = try Store(location: StoreLocation(home: dir("home")))
        }

        func archive(keys: [OpenPGP.PublicKey]? = nil) throws -> DebianArchive {
            DebianArchive(
                mirror: server.url(""), keys: try keys ?? OpenPGP.keys(in: Array(repository.publicKey.utf8)),
                fetcher: URLFetcher(store: store), home: dir("home"))
        }
    }

    @Test func aVerifiedSuiteListsItsPackagesAndIsReadFromTheCacheAfterwards() throws {
        let fixture = try Fixture()
        let archive = try fixture.archive()
        let release = try archive.release("testing")
        #expect(release.codename == "testing" && release.acquireByHash && !release.allIsSeparate)
        let binaries = try archive.packages("testing", release: release, architecture: "amd64")
        #expect(binaries.map(\.name).sorted() == ["greet", "greet-data", "libgreet1"])
        let greet = try #require(binaries.first { $0.name == "greet" })
        #expect(greet.version == DebianVersion("1.0-1"))
        #expect(greet.depends.map { $0.map(\.description) } == [["libgreet1 (>= 1.0)"], ["greet-data"]])
        #expect(greet.provides.map(\.name) == ["greeter"])
        #expect(greet.filename == "pool/main/greet_1.0-1_amd64.deb")
        // Fetched by hash, once: a second reading needs no mirror.
        let fetched = try fixture.server.requests().map(\.path)
        #expect(fetched.contains { $0.contains("/by-hash/SHA256/") })
        try fixture.dir.sh("rm -rf mirror/dists")
        let again = try archive.release("testing")
        #expect(try archive.packages("testing", release: again, architecture: "amd64").count == 3)
    }

    @Test func badIndexesAreRefusedAndNothingOfThemIsUsed() throws {
        // Signed by another key than the trusted one.
        let fixture = try Fixture()
        let debian = try fixture.archive(keys: DebianArchive.builtinKeys)
        #expect(!DebianArchive.builtinKeys.isEmpty)
        let foreign = #expect(throws: PackageError.self) { try debian.release("testing") }
        #expect(foreign?.description.contains("which is not a trusted key") == true, "\(foreign?.description ?? "")")
        // Not signed at all.
        let unsigned = try Fixture(sign: false)
        let none = #expect(throws: PackageError.self) { try unsigned.archive().release("testing") }
        #expect(none?.description.contains("not a clearsigned message") == true)
        // Past its Valid-Until.
        let stale = try Fixture(validUntil: -3600)
        let expired = #expect(throws: PackageError.self) { try stale.archive().release("testing") }
        #expect(expired?.description.contains("refusing a stale index") == true, "\(expired?.description ?? "")")
        // A Packages.xz that is not the one the Release lists.
        let tampered = try Fixture()
        try tampered.dir.sh(
            """
            cd mirror/dists/testing/main/binary-amd64
            for f in by-hash/SHA256/*; do echo tampered | xz > "$f"; done
            """)
        let archive = try tampered.archive()
        let release = try archive.release("testing")
        let mismatch = #expect(throws: FetchError.self) {
            try archive.packages("testing", release: release, architecture: "amd64")
        }
        #expect(mismatch?.description.contains("hash mismatch") == true, "\(mismatch?.description ?? "")")
        let cached = try tampered.dir.sh("ls home/debian/*/testing | grep -c Packages || true")
        #expect(cached == "0")
    }
}
