import DevenvBasics
import DevenvBuild
import DevenvFetch
import DevenvStore
import Foundation
import TestSupport

/// A store and a loopback server with source archives: `greet.tar.gz` (bin/greet, under a top
/// directory) and `hello-c.tar.gz` (hello.c).
final class BuildFixture: @unchecked Sendable {
    let dir: TemporaryDirectory
    let store: Store
    let server: HTTPServer
    let progress = RecordingProgress()

    init() throws {
        dir = try TemporaryDirectory("build")
        try dir.sh(
            """
            mkdir -p src/greet-1.0/bin src/hello
            printf '#!/bin/sh\\necho "hello, ${1:-world}"\\n' > src/greet-1.0/bin/greet && chmod 755 src/greet-1.0/bin/greet
            printf '#include <stdio.h>\\nint main(void) { puts("hello from C"); return 0; }\\n' > src/hello/hello.c
            mkdir served && tar -C src -czf served/greet.tar.gz greet-1.0 && tar -C src/hello -czf served/hello-c.tar.gz .
            """)
        store = try Store(location: StoreLocation(home: dir("home")))
        server = try HTTPServer(root: dir("served"))
    }

    func source(_ file: String, unpack: UnpackOptions? = UnpackOptions()) throws -> Derivation.Source {
        Derivation.Source(
            url: server.url(file), hash: try FileTree.hashContents(of: dir("served/\(file)"), algorithm: .sha256),
            unpack: unpack)
    }

    /// greet-1.0, unpacked from its tarball without a script.
    func greet() throws -> Derivation {
        Derivation(
            name: "greet", version: "1.0", system: "x86_64-linux",
            sources: [try source("greet.tar.gz", unpack: UnpackOptions(strip: 1))])
    }

    func realizer(_ settings: BuildSettings = BuildSettings(jobs: 2)) -> Realizer {
        Realizer(store: store, settings: settings, progress: progress)
    }

    func full(_ path: StorePath) -> String { store.directory.fullPath(of: path) }
}
