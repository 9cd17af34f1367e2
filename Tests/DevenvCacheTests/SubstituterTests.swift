import DevenvBasics
import DevenvStore
import Foundation
import Glibc
import TestSupport
import Testing

@testable import DevenvCache

/// Substituting from a file:// cache written the way `nix copy` writes one, into a store of the
/// same directory that has never seen the paths.
struct SubstituterTests {
    struct Cache {
        let dir: TemporaryDirectory
        let storeDirectory: String
        let key: SigningKey
        /// `program` refers to `data` (its narinfo says so, and the signature covers it).
        let data: StorePath
        let program: StorePath
        /// Serving the cache over HTTP, when asked for: NARs then stream as they download.
        let server: HTTPServer?

        init(compression: String = "none", served: Bool = false) throws {
            dir = try TemporaryDirectory("substitute")
            storeDirectory = dir("store")
            key = try SigningKey.generate(name: "test-1")
            let first = try Store(location: StoreLocation(home: dir("home1"), storeDirectory: storeDirectory))
            try dir.sh(
                "mkdir -p src/data src/program cache/nar && echo hello > src/data/greeting && printf '#!/bin/sh\\necho hi\\n' > src/program/run && chmod +x src/program/run"
            )
            data = try first.add(dir("src/data"), name: "data")
            program = try first.add(dir("src/program"), name: "program")
            try "StoreDir: \(storeDirectory)\n".write(
                toFile: dir("cache/nix-cache-info"), atomically: true, encoding: .utf8)
            for (path, references) in [(data, [StorePath]()), (program, [data])] {
                let nar = dir("cache/nar/tmp.nar")
                let fd = open(nar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                let writer = NarWriter(sink: FileDescriptorSink(fd: fd))
                try writer.dump(first.directory.fullPath(of: path))
                close(fd)
                let narHash = try FileTree.hashContents(of: nar, algorithm: .sha256)
                let narSize = UInt64(try FileManager.default.attributesOfItem(atPath: nar)[.size] as! UInt64)
                var file = nar
                if compression == "xz" {
                    try dir.sh("xz -k cache/nar/tmp.nar")
                    file = nar + ".xz"
                }
                let fileHash = try FileTree.hashContents(of: file, algorithm: .sha256)
                let url = "nar/\(fileHash.nix32).nar" + (compression == "xz" ? ".xz" : "")
                try FileManager.default.moveItem(atPath: file, toPath: dir("cache/" + url))
                if compression == "xz" { try FileManager.default.removeItem(atPath: nar) }
                var info = NarInfo(
                    storePath: path, url: url, compression: compression, fileHash: fileHash,
                    fileSize: UInt64(
                        try FileManager.default.attributesOfItem(atPath: dir("cache/" + url))[.size] as! UInt64),
                    narHash: narHash, narSize: narSize, references: references)
                try info.sign(with: key, storeDirectory: first.directory)
                try info.text(storeDirectory: first.directory).write(
                    toFile: dir("cache/\(path.hashPart).narinfo"), atomically: true, encoding: .utf8)
            }
            // The first store goes; the paths now exist only in the cache.
            try dir.sh("chmod -R u+w store home1 && rm -rf store home1")
            server = served ? try HTTPServer(root: dir("cache")) : nil
        }

        func store() throws -> Store {
            try Store(location: StoreLocation(home: dir("home2"), storeDirectory: storeDirectory))
        }

        /// A substituter asking this cache and its copy in `preferred` (which the caller made),
        /// and where each path came from.
        func substituterWithCopy(_ store: Store) throws -> (Substituter, Origins) {
            let origins = Origins()
            let substituter = Substituter(
                store: store,
                caches: [
                    try BinaryCache(url: "file://" + dir("cache")), try BinaryCache(url: "file://" + dir("preferred")),
                ],
                trusted: [key.publicKey], onSubstituted: origins.record)
            return (substituter, origins)
        }

        func substituter(_ store: Store, trusting keys: [TrustedKey]? = nil) throws -> Substituter {
            Substituter(
                store: store, caches: [try BinaryCache(url: server?.url("") ?? "file://" + dir("cache"))],
                trusted: keys ?? [key.publicKey])
        }
    }

    /// Which cache each substituted path came from (paths are made valid by several threads).
    final class Origins: @unchecked Sendable {
        private let lock = NSLock()
        private var recorded: [StorePath: String] = [:]

        func record(_ path: StorePath, _ cache: String) { lock.withLock { recorded[path] = cache } }

        var byPath: [StorePath: String] { lock.withLock { recorded } }
    }

    @Test(arguments: ["none", "xz"])
    func aClosureComesFromTheCacheReferencesFirst(_ compression: String) throws {
        let cache = try Cache(compression: compression)
        let store = try cache.store()
        let substituter = try cache.substituter(store)
        #expect(try substituter.substitute(cache.program), "\(substituter.problems)")
        #expect(substituter.problems.isEmpty)
        #expect(try store.isValid(cache.data) && store.isValid(cache.program))
        #expect(try store.validPathInfo(cache.program).references == [cache.data])
        let run = try runCommand(store.directory.fullPath(of: cache.program) + "/run", [])
        #expect(run.output == "hi")
        #expect(
            try String(contentsOfFile: store.directory.fullPath(of: cache.data) + "/greeting", encoding: .utf8)
                == "hello\n")
    }

    /// Two processes (here two stores on one location) substituting the same closure at once both
    /// end with it valid: each path is moved in and registered by one of them, under its lock.
    @Test func twoProcessesSubstitutingOneClosureAtOnceBothHaveIt() throws {
        let cache = try Cache()
        for _ in 0..<8 {
            let stores = [try cache.store(), try cache.store()]
            let substituters = try stores.map { try cache.substituter($0) }
            let results = Results()
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                results.set(index, Result { try substituters[index].substitute(cache.program) })
            }
            for index in 0..<2 {
                #expect(try results.get(index) == true, "\(substituters[index].problems)")
            }
            #expect(try Set(stores[0].validPaths()) == [cache.data, cache.program])
            let directory = stores[0].directory.path
            for hidden in ["/.locks", "/.tmp"] {
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: directory + hidden)) ?? []).isEmpty)
            }
            try cache.dir.sh("chmod -R u+w store home2 && rm -rf store home2")
        }
    }

    /// What the threads of a test give, by index.
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var results: [Int: Result<Bool, any Error>] = [:]

        func set(_ index: Int, _ result: Result<Bool, any Error>) { lock.withLock { results[index] = result } }

        func get(_ index: Int) throws -> Bool { try lock.withLock { results[index]! }.get() }
    }

    @Test func referencesThatFormACycleAreRefusedNotWaitedForForever() throws {
        let cache = try Cache()
        // `data`, signed again, now refers to `program`, which refers to `data`.
        let narinfo = cache.dir("cache/\(cache.data.hashPart).narinfo")
        let directory = StoreDirectory(cache.storeDirectory)
        var info = try NarInfo(
            parsing: try String(contentsOfFile: narinfo, encoding: .utf8), storeDirectory: directory, source: narinfo)
        info.references = [cache.program]
        info.signatures = []
        try info.sign(with: cache.key, storeDirectory: directory)
        try info.text(storeDirectory: directory).write(toFile: narinfo, atomically: true, encoding: .utf8)
        let store = try cache.store()
        let substituter = try cache.substituter(store)
        #expect(try !substituter.substitute(cache.program))
        #expect(
            substituter.problems.contains { $0.hasSuffix("its references form a cycle") }, "\(substituter.problems)")
        #expect(try store.validPaths().isEmpty)
        try expectNothingLeft(in: store)
    }

    @Test func aPathWhoseReferenceNoCacheHasIsRefusedBeforeItsNarIsFetched() throws {
        let cache = try Cache()
        // `data` is in no cache; `program`'s NAR is gone too, so fetching it would say so.
        let program = try NarInfo(
            parsing: try String(contentsOfFile: cache.dir("cache/\(cache.program.hashPart).narinfo"), encoding: .utf8),
            storeDirectory: StoreDirectory(cache.storeDirectory), source: "x")
        try cache.dir.sh("rm cache/\(cache.data.hashPart).narinfo cache/\(program.url)")
        let store = try cache.store()
        let substituter = try cache.substituter(store)
        #expect(try !substituter.substitute(cache.program))
        #expect(
            substituter.problems == [
                "file://\(cache.dir("cache"))/\(cache.program.hashPart).narinfo: its reference \(cache.data.baseName) cannot be substituted"
            ])
        #expect(try store.validPaths().isEmpty)
    }

    /// Signed narinfos of paths each referring to the next, one more than the depth limit long,
    /// the first also referring to those `shortcuts` name; their NARs do not exist, so asking for
    /// any would say so.
    func chain(in cache: Cache, shortcuts: [Int] = []) throws -> [StorePath] {
        let directory = StoreDirectory(cache.storeDirectory)
        let chain = try (0...Substituter.maximumDepth).map { index in
            try StorePath(hashPart: String(format: "%032d", index), name: "link\(index)")
        }
        for (index, path) in chain.enumerated() {
            var info = NarInfo(
                storePath: path, url: "nar/missing\(index).nar", compression: "none", fileHash: nil, fileSize: nil,
                narHash: Hash(algorithm: .sha256, bytes: Array(repeating: 0, count: 32)), narSize: 8,
                references: (index < chain.count - 1 ? [chain[index + 1]] : [])
                    + (index == 0 ? shortcuts.map { chain[$0] } : []))
            try info.sign(with: cache.key, storeDirectory: directory)
            try info.text(storeDirectory: directory).write(
                toFile: cache.dir("cache/\(path.hashPart).narinfo"), atomically: true, encoding: .utf8)
        }
        return chain
    }

    @Test func aChainOfReferencesDeeperThanTheLimitIsRefusedBeforeAnyNarIsFetched() throws {
        let cache = try Cache()
        let chain = try chain(in: cache)
        let store = try cache.store()
        let substituter = try cache.substituter(store)
        #expect(try !substituter.substitute(chain[0]))
        #expect(
            substituter.problems == [
                "\(store.directory.fullPath(of: chain[0])): references deeper than \(Substituter.maximumDepth)"
            ])
        #expect(try store.validPaths().isEmpty)
        // Its paths are not taken for unavailable: asked for alone, one is asked for anew (its NAR,
        // which does not exist, is fetched).
        #expect(try !substituter.substitute(chain[200]))
        #expect(
            substituter.problems.dropFirst().contains { $0.hasSuffix(".nar is missing") }, "\(substituter.problems)")
    }

    @Test func aPathsDepthIsItsShortestDistanceFromTheRoot() throws {
        let cache = try Cache()
        // The last link is also a reference of the first: one level down, not past the limit.
        let chain = try chain(in: cache, shortcuts: [Substituter.maximumDepth])
        let store = try cache.store()
        let substituter = try cache.substituter(store)
        #expect(try !substituter.substitute(chain[0]))
        #expect(!substituter.problems.contains { $0.contains("deeper than") }, "\(substituter.problems)")
        #expect(substituter.problems.contains { $0.contains("missing256.nar") }, "\(substituter.problems)")
    }

    @Test(arguments: [false, true])
    func whatDoesNotVerifyIsRefusedAndNothingIsStored(overHTTP: Bool) throws {
        let cache = try Cache(served: overHTTP)
        // Another key: untrusted.
        let store = try cache.store()
        let stranger = try cache.substituter(store, trusting: [try SigningKey.generate(name: "test-1").publicKey])
        #expect(try !stranger.substitute(cache.program))
        #expect(stranger.problems.first?.hasSuffix("no signature by a trusted key") == true, "\(stranger.problems)")
        #expect(try store.validPaths().isEmpty)

        // A NAR changed after signing: refused by its file hash; with no file hash, by its NAR hash.
        let nar = try #require(
            try FileManager.default.contentsOfDirectory(atPath: cache.dir("cache/nar")).first {
                (try? Data(contentsOf: URL(fileURLWithPath: cache.dir("cache/nar/" + $0))))?.range(
                    of: Data("hello".utf8)) != nil
            })
        try cache.dir.sh("chmod u+w cache/nar/\(nar) && sed -i 's/hello/jello/' cache/nar/\(nar)")
        let tampered = try cache.substituter(store)
        #expect(try !tampered.substitute(cache.data))
        #expect(
            tampered.problems.contains { $0.hasSuffix("its NAR file does not have the FileHash") },
            "\(tampered.problems)")
        let narinfo = cache.dir("cache/\(cache.data.hashPart).narinfo")
        let text = try String(contentsOfFile: narinfo, encoding: .utf8)
        try text.split(separator: "\n").filter { !$0.hasPrefix("FileHash") && !$0.hasPrefix("FileSize") }
            .map { $0 + "\n" }.joined().write(toFile: narinfo, atomically: true, encoding: .utf8)
        let unhashed = try cache.substituter(store)
        #expect(try !unhashed.substitute(cache.data))
        #expect(
            unhashed.problems.contains { $0.hasSuffix("its NAR does not have the NarHash and NarSize") },
            "\(unhashed.problems)")
        // A path whose reference cannot be had is not substituted either: asked again in this run,
        // or fetched beside it in another (its NAR unpacked, and discarded once the reference
        // fails).
        #expect(try !unhashed.substitute(cache.program))
        #expect(try !cache.substituter(store).substitute(cache.program))
        #expect(try store.validPaths().isEmpty)
        try expectNothingLeft(in: store)

        // A narinfo that describes another path than the one its name says.
        try FileManager.default.copyItem(
            atPath: cache.dir("cache/\(cache.program.hashPart).narinfo"), toPath: cache.dir("other.narinfo"))
        try cache.dir.sh(
            "rm cache/\(cache.data.hashPart).narinfo && cp other.narinfo cache/\(cache.data.hashPart).narinfo")
        let swapped = try cache.substituter(store)
        #expect(try !swapped.substitute(cache.data))
        #expect(swapped.problems.first?.contains("it is for \(store.directory.fullPath(of: cache.program))") == true)
        #expect(try store.validPaths().isEmpty)
    }

    @Test(arguments: [false, true])
    func aNarLongerOrShorterThanItsNarinfoSaysIsCutOffAndNothingIsStored(overHTTP: Bool) throws {
        let cache = try Cache(served: overHTTP)
        let store = try cache.store()
        let narinfo = cache.dir("cache/\(cache.program.hashPart).narinfo")
        let original = try NarInfo(
            parsing: try String(contentsOfFile: narinfo, encoding: .utf8), storeDirectory: store.directory, source: "x")
        func resign(_ change: (inout NarInfo) -> Void) throws {
            var info = original
            change(&info)
            info.signatures = []
            try info.sign(with: cache.key, storeDirectory: store.directory)
            try info.text(storeDirectory: store.directory).write(toFile: narinfo, atomically: true, encoding: .utf8)
        }
        // Signed, but the NAR goes on past its NarSize: the reading stops there.
        try resign { $0.narSize -= 8 }
        let longer = try cache.substituter(store)
        #expect(try !longer.substitute(cache.program))
        #expect(longer.problems.contains { $0.hasSuffix("its NAR is larger than its NarSize") }, "\(longer.problems)")
        // A NAR file cut short (its narinfo giving no file hash): the strict reader refuses it.
        try resign {
            $0.fileHash = nil
            $0.fileSize = nil
        }
        let file = cache.dir("cache/" + original.url)
        try cache.dir.sh("chmod u+w '\(file)' && truncate -s -16 '\(file)'")
        let shorter = try cache.substituter(store)
        #expect(try !shorter.substitute(cache.program))
        #expect(shorter.problems.contains { $0.contains("archive is truncated") }, "\(shorter.problems)")
        // A file that is not a NAR from its first byte, and larger than any NAR of its NarSize:
        // over HTTP, refused for what it is as soon as it is read, the rest not downloaded.
        // In a file:// cache, such a file is refused before it is read, naming the narinfo.
        try resign {
            $0.fileHash = nil
            $0.fileSize = nil
            $0.narSize = 64_000_000
        }
        try cache.dir.sh("truncate -s 0 '\(file)' && truncate -s 80M '\(file)'")
        let garbage = try cache.substituter(store)
        #expect(try !garbage.substitute(cache.program))
        if overHTTP {
            #expect(
                garbage.problems.count == 1 && garbage.problems[0].hasPrefix(cache.server!.url(""))
                    && !garbage.problems[0].contains("larger than"), "\(garbage.problems)")
        } else {
            #expect(
                garbage.problems == [
                    "file://\(cache.dir("cache"))/\(cache.program.hashPart).narinfo: file://\(cache.dir("cache"))/"
                        + "\(original.url): larger than 69048576 bytes"
                ], "\(garbage.problems)")
        }
        #expect(try store.validPaths() == [cache.data])
        // Nothing half-made is left in the store.
        let entries = try FileManager.default.contentsOfDirectory(atPath: store.directory.path)
        #expect(entries.filter { !$0.hasPrefix(".") } == [cache.data.baseName], "\(entries)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: store.directory.path + "/.tmp")) ?? []).isEmpty)
    }

    /// A NAR that `cache push` wrote in several zstd frames (a large one) is decompressed frame by
    /// frame side by side, from a file and as it downloads, and whole again after a download that
    /// breaks off half way; a NAR with a frame changed is refused, with nothing stored.
    @Test(arguments: [false, true])
    func aNarOfSeveralFramesIsSubstitutedAndOneChangedIsRefused(overHTTP: Bool) throws {
        let dir = try TemporaryDirectory("substitute-frames")
        let key = try SigningKey.generate(name: "test-1")
        let first = try Store(location: StoreLocation(home: dir("home1"), storeDirectory: dir("store")))
        try dir.sh("mkdir -p src && seq 1 2000000 > src/numbers && head -c 3000000 /dev/urandom > src/noise")
        let path = try first.add(dir("src"), name: "large")
        try BinaryCache(url: "file://" + dir("cache")).push([path], from: first, signedWith: [key])
        try dir.sh("chmod -R u+w store home1 && rm -rf store home1")
        let listing = try dir.sh("zstd -lv cache/nar/*.nar.zst")
        #expect(listing.contains("# Zstandard Frames: 9"), "\(listing)")
        let server = overHTTP ? try HTTPServer(root: dir("cache")) : nil
        if overHTTP { try dir.sh("sed -i 's|^URL: |URL: cut/1/|' cache/\(path.hashPart).narinfo") }
        func substituting(into home: String) throws -> (Substituter, Store) {
            let store = try Store(location: StoreLocation(home: dir(home), storeDirectory: dir("store")))
            let cache = try BinaryCache(url: server?.url("") ?? "file://" + dir("cache"))
            return (Substituter(store: store, caches: [cache], trusted: [key.publicKey]), store)
        }
        let (substituter, _) = try substituting(into: "home2")
        #expect(try substituter.substitute(path), "\(substituter.problems)")
        #expect(substituter.problems.isEmpty, "\(substituter.problems)")
        let full = dir("store/" + path.baseName)
        #expect(try dir.sh("cmp src/numbers \(full)/numbers && cmp src/noise \(full)/noise && echo same") == "same")
        if let server {
            let nar = try #require(try server.requests().first { $0.path.hasPrefix("/cut/") }?.path)
            #expect(try server.requests().filter { $0.path == nar }.count == 2)
        }

        try dir.sh(
            """
            chmod -R u+w store && rm -rf store
            nar=$(ls cache/nar/*.nar.zst); chmod u+w $nar
            at=$(( $(stat -c %s $nar) / 2 )); byte=$(od -An -tu1 -j $at -N1 $nar)
            printf "\\\\$(printf %o $(( byte ^ 255 )))" | dd of=$nar bs=1 seek=$at conv=notrunc status=none
            """)
        let (refusing, store) = try substituting(into: "home3")
        #expect(try !refusing.substitute(path))
        #expect(!refusing.problems.isEmpty)
        #expect(try store.validPaths().isEmpty)
    }

    @Test(arguments: ["none", "xz"])
    func aNarWhoseDownloadBreaksOffIsDownloadedAgainWhole(_ compression: String) throws {
        let cache = try Cache(compression: compression, served: true)
        let store = try cache.store()
        // The narinfo's URL (not signed) now leads to a server that breaks the first download off
        // half way, while the NAR streams into the reader.
        let narinfo = cache.dir("cache/\(cache.data.hashPart).narinfo")
        try cache.dir.sh("sed -i 's|^URL: |URL: cut/1/|' \(narinfo)")
        let substituter = try cache.substituter(store)
        #expect(try substituter.substitute(cache.data), "\(substituter.problems)")
        #expect(substituter.problems.isEmpty, "\(substituter.problems)")
        #expect(
            try String(contentsOfFile: store.directory.fullPath(of: cache.data) + "/greeting", encoding: .utf8)
                == "hello\n")
        let nar = try #require(try cache.server!.requests().first { $0.path.hasPrefix("/cut/") }?.path)
        #expect(try cache.server!.requests().filter { $0.path == nar }.count == 2)
    }

    @Test func aCacheNixWroteIsSubstitutedIntoAStoreOfItsDirectory() throws {
        let dir = try TemporaryDirectory("substitute-nix")
        let storeDirectory = dir("store")
        try dir.sh(
            "mkdir -p src/bin && echo data > src/data && printf '#!/bin/sh\\necho hi\\n' > src/bin/run && chmod +x src/bin/run && ln -s data src/link"
        )
        // Nix's own store of the same directory (its files elsewhere), and the cache it writes, signed.
        let nixStore =
            "local?store=\(storeDirectory)&state=\(dir("nix-state"))&log=\(dir("nix-state"))/log&real=\(dir("nix-real"))"
        let environment = ["XDG_CACHE_HOME": dir("nix-cache"), "HOME": dir.path, "PATH": "/usr/bin:/bin"]
        let added = try runCommand(
            "/usr/bin/nix-store", ["--store", nixStore, "--add", dir("src")], environment: environment)
        #expect(added.status == 0, "\(added.stderr)")
        let key = try SigningKey.generate(name: "nix-made-1")
        try key.write(secret: dir("sk"), public: dir("pk"))
        let copied = try runCommand(
            "/usr/bin/nix",
            [
                "--extra-experimental-features", "nix-command", "copy", "--from", nixStore, "--to",
                "file://\(dir("cache"))?store=\(storeDirectory)&secret-key=\(dir("sk"))&compression=xz", added.output,
            ], environment: environment)
        #expect(copied.status == 0, "\(copied.stderr)")
        let store = try Store(location: StoreLocation(home: dir("home"), storeDirectory: storeDirectory))
        let path = try store.directory.storePath(parsing: added.output)
        let substituter = Substituter(
            store: store, caches: [try BinaryCache(url: "file://" + dir("cache"))], trusted: [key.publicKey])
        #expect(try substituter.substitute(path), "\(substituter.problems)")
        let info = try store.validPathInfo(path)
        #expect(info.narHash.base16 == (try Nix.narHash(dir("nix-real/") + path.baseName)))
        #expect(info.signatures.count == 1 && info.signatures[0].hasPrefix("nix-made-1:"))
        #expect(try runCommand(store.directory.fullPath(of: path) + "/bin/run", []).output == "hi")
    }

    @Test func aNarThatDoesNotDecompressOrANarinfoTooLargeIsRefusedAndTheCacheStillAsked() throws {
        let cache = try Cache(compression: "xz")
        let store = try cache.store()
        let narinfo = cache.dir("cache/\(cache.program.hashPart).narinfo")
        var info = try NarInfo(
            parsing: try String(contentsOfFile: narinfo, encoding: .utf8), storeDirectory: store.directory, source: "x")
        try cache.dir.sh("cp cache/\(info.url) original.nar.xz")
        // Signed, but its file is not xz (empty, garbage read as it is, or the NAR not compressed):
        // refused, and nothing crashes.
        for garbage in ["", "not xz at all", "uncompressed"] {
            try cache.dir.sh(
                "chmod u+w cache/\(info.url) && "
                    + (garbage == "uncompressed"
                        ? "xz -dc original.nar.xz > cache/\(info.url)" : "printf '\(garbage)' > cache/\(info.url)"))
            info.fileHash = nil
            info.fileSize = nil
            info.signatures = []
            try info.sign(with: cache.key, storeDirectory: store.directory)
            try info.text(storeDirectory: store.directory).write(toFile: narinfo, atomically: true, encoding: .utf8)
            let substituter = try cache.substituter(store)
            #expect(try !substituter.substitute(cache.program))
            #expect(
                substituter.problems.contains {
                    $0.contains("its NAR file does not decompress") || $0.contains(": bad archive at byte")
                }, "\(substituter.problems)")
            if garbage == "uncompressed" {
                #expect(substituter.problems.contains { $0.hasSuffix("is not compressed with xz") })
            }
            // The cache is not taken for dead: its other paths still come.
            #expect(try substituter.substitute(cache.data), "\(substituter.problems)")
        }
        // A narinfo larger than any narinfo is: not read.
        try String(repeating: "x", count: 2 << 20).write(toFile: narinfo, atomically: true, encoding: .utf8)
        let substituter = try cache.substituter(store)
        #expect(try !substituter.substitute(cache.program))
        #expect(substituter.problems.contains { $0.hasSuffix("larger than 1048576 bytes") }, "\(substituter.problems)")
    }

    @Test func aNarAnHTTPCacheLacksIsSaidToBeMissingAndTheCacheStillAsked() throws {
        let cache = try Cache(served: true)
        let store = try cache.store()
        let info = try NarInfo(
            parsing: try String(contentsOfFile: cache.dir("cache/\(cache.program.hashPart).narinfo"), encoding: .utf8),
            storeDirectory: store.directory, source: "x")
        try cache.dir.sh("rm -f cache/\(info.url)")
        let substituter = try cache.substituter(store)
        #expect(try !substituter.substitute(cache.program))
        #expect(
            substituter.problems.contains { $0.hasSuffix("its NAR \(info.url) is missing") }, "\(substituter.problems)")
        #expect(!substituter.problems.contains { $0.contains("decompress") }, "\(substituter.problems)")
        #expect(try substituter.substitute(cache.data), "\(substituter.problems)")
        #expect(try store.validPaths() == [cache.data])
    }

    /// A link in a file:// cache is followed, but what it leads to must be a file no larger than
    /// the limit: a device would never end, and a link is small whatever it leads to.
    @Test func aNarinfoLinkedToADeviceOrALargeFileIsRefused() throws {
        let cache = try Cache()
        let store = try cache.store()
        let narinfo = "cache/\(cache.program.hashPart).narinfo"
        for (target, problem) in [("/dev/zero", "not a regular file"), ("../large", "larger than 1048576 bytes")] {
            try cache.dir.sh("head -c 2000000 /dev/zero > large && rm -f \(narinfo) && ln -s \(target) \(narinfo)")
            let substituter = try cache.substituter(store)
            #expect(try !substituter.substitute(cache.program))
            #expect(
                substituter.problems.contains {
                    $0 == "file://\(cache.dir("cache"))/\(narinfo.dropFirst(6)): \(problem)"
                },
                "\(substituter.problems)")
            #expect(try store.validPaths().isEmpty)
        }
    }

    /// Narinfos are read in memory, from a directory or over HTTP alike.
    @Test(arguments: [false, true])
    func aNarinfoThatIsNotTextIsRefusedAndTheCacheStillAsked(served: Bool) throws {
        let cache = try Cache(served: served)
        let store = try cache.store()
        try Data([0x53, 0x74, 0xff, 0xfe, 0x0a]).write(
            to: URL(fileURLWithPath: cache.dir("cache/\(cache.program.hashPart).narinfo")))
        let substituter = try cache.substituter(store)
        #expect(try !substituter.substitute(cache.program))
        #expect(
            substituter.problems.contains { $0.hasSuffix("\(cache.program.hashPart).narinfo: it is not UTF-8 text") },
            "\(substituter.problems)")
        #expect(try store.validPaths().isEmpty)
        #expect(try substituter.substitute(cache.data), "\(substituter.problems)")
    }

    @Test func aCacheForAnotherStoreDirectoryIsNotUsed() throws {
        let cache = try Cache()
        let other = try Store(location: StoreLocation(home: cache.dir("home3"), storeDirectory: cache.dir("elsewhere")))
        let substituter = try cache.substituter(other)
        let path = try StorePath(hashPart: cache.data.hashPart, name: cache.data.name)
        #expect(try !substituter.substitute(path))
        #expect(
            substituter.problems == [
                "file://\(cache.dir("cache")): its paths are for \(cache.storeDirectory), not \(cache.dir("elsewhere")), "
                    + "and only store directories of the same length (\(cache.storeDirectory.utf8.count) and "
                    + "\(cache.dir("elsewhere").utf8.count) bytes here) are rewritten into each other (docs/store.md); not used"
            ])
        #expect(throws: CacheError.self) { try BinaryCache(url: "ftp://cache.example.org") }
        // No URL has whitespace or control characters; a file:// cache's directory may have spaces.
        for odd in [
            "https://cache.example.org/a b", "https://c.example/\u{1B}[2K", "file:///srv/a\tb", "file:///x\u{202E}",
        ] {
            #expect(throws: CacheError.self, "\(odd.debugDescription)") { try BinaryCache(url: odd) }
        }
        #expect(try BinaryCache(url: "file:///srv/team cache/").url == "file:///srv/team cache")
    }

    @Test func contentAddressedPathsNeedNoSignatureButMustMatchTheirAddress() throws {
        let dir = try TemporaryDirectory("substitute-ca")
        let storeDirectory = dir("store")
        let first = try Store(location: StoreLocation(home: dir("home1"), storeDirectory: storeDirectory))
        try dir.sh("mkdir -p src && echo content > src/file")
        let path = try first.add(dir("src"), name: "source")
        let cache = try BinaryCache(url: "file://" + dir("cache"))
        // Pushed unsigned: the narinfo carries its content address.
        try cache.push([path], from: first, signedWith: [], compression: nil)
        let narinfo = dir("cache/\(path.hashPart).narinfo")
        #expect(try String(contentsOfFile: narinfo, encoding: .utf8).contains("\nCA: fixed:r:sha256:"))
        try dir.sh("chmod -R u+w store home1 && rm -rf store home1")
        let store = try Store(location: StoreLocation(home: dir("home2"), storeDirectory: storeDirectory))
        // Another address than the path's own: neither signed nor self-verifying.
        let text = try String(contentsOfFile: narinfo, encoding: .utf8)
        try text.replacingOccurrences(of: "CA: fixed:r:", with: "CA: fixed:").write(
            toFile: narinfo, atomically: true, encoding: .utf8)
        let wrong = Substituter(store: store, caches: [cache], trusted: [])
        #expect(try !wrong.substitute(path))
        #expect(wrong.problems.first?.hasSuffix("no signature by a trusted key") == true, "\(wrong.problems)")
        // A text address by a hash Nix never addresses text with: refused the same way.
        let sha1 = try #require(text.split(separator: "\n").first { $0.hasPrefix("CA: ") })
        try text.replacingOccurrences(of: sha1, with: "CA: text:sha1:" + String(repeating: "0", count: 32)).write(
            toFile: narinfo, atomically: true, encoding: .utf8)
        let textSHA1 = Substituter(store: store, caches: [cache], trusted: [])
        #expect(try !textSHA1.substitute(path))
        #expect(textSHA1.problems.first?.hasSuffix("no signature by a trusted key") == true, "\(textSHA1.problems)")
        try text.write(toFile: narinfo, atomically: true, encoding: .utf8)
        let substituter = Substituter(store: store, caches: [cache], trusted: [])
        #expect(try substituter.substitute(path), "\(substituter.problems)")
        #expect(try store.validPathInfo(path).contentAddress != nil)
    }

    @Test func cachesAreAskedByTheirPriority() throws {
        let cache = try Cache()
        try cache.dir.sh(
            """
            cp -r cache preferred
            printf 'StoreDir: %s\\nPriority: 60\\n' '\(cache.storeDirectory)' > cache/nix-cache-info
            printf 'StoreDir: %s\\nPriority: 10\\n' '\(cache.storeDirectory)' > preferred/nix-cache-info
            """)
        let (substituter, origins) = try cache.substituterWithCopy(try cache.store())
        #expect(try substituter.substitute(cache.program))
        let preferred = "file://" + cache.dir("preferred")
        #expect(origins.byPath == [cache.data: preferred, cache.program: preferred])
    }

    @Test func aNarThatDoesNotVerifyInOneCacheComesFromTheNext() throws {
        let cache = try Cache()
        // The preferred cache has the same narinfos, but the program's NAR changed after signing.
        let program = try NarInfo(
            parsing: try String(contentsOfFile: cache.dir("cache/\(cache.program.hashPart).narinfo"), encoding: .utf8),
            storeDirectory: StoreDirectory(cache.storeDirectory), source: "x")
        try cache.dir.sh(
            """
            cp -r cache preferred && chmod -R u+w preferred
            printf 'StoreDir: %s\\nPriority: 10\\n' '\(cache.storeDirectory)' > preferred/nix-cache-info
            sed -i 's/echo hi/echo ho/' preferred/\(program.url)
            """)
        let store = try cache.store()
        let (substituter, origins) = try cache.substituterWithCopy(store)
        #expect(try substituter.substitute(cache.program), "\(substituter.problems)")
        #expect(
            origins.byPath == [
                cache.data: "file://" + cache.dir("preferred"), cache.program: "file://" + cache.dir("cache"),
            ])
        #expect(
            substituter.problems == [
                "file://\(cache.dir("preferred"))/\(cache.program.hashPart).narinfo: its NAR file does not have the FileHash"
            ])
        #expect(try runCommand(store.directory.fullPath(of: cache.program) + "/run", []).output == "hi")
    }

    @Test func aNarinfoAnHTTPCacheLacksIsNotAskedForAgainForAWhile() throws {
        let cache = try Cache()
        let server = try HTTPServer(root: cache.dir("cache"))
        let remote = try BinaryCache(url: server.url(""))
        let store = try cache.store()
        let narinfo = cache.dir("cache/\(cache.data.hashPart).narinfo")
        try FileManager.default.moveItem(atPath: narinfo, toPath: narinfo + ".away")
        let misses = NarinfoMisses(directory: cache.dir("misses"))
        let first = Substituter(store: store, caches: [remote], trusted: [cache.key.publicKey], misses: misses)
        #expect(try !first.substitute(cache.data))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.dir("misses")).count == 1)
        try FileManager.default.moveItem(atPath: narinfo + ".away", toPath: narinfo)
        // Remembered: not asked again within the hour.
        let again = Substituter(store: store, caches: [remote], trusted: [cache.key.publicKey], misses: misses)
        #expect(try !again.substitute(cache.data))
        // Once the miss is old, it is.
        let expired = NarinfoMisses(directory: cache.dir("misses"), lifetime: 0)
        let later = Substituter(store: store, caches: [remote], trusted: [cache.key.publicKey], misses: expired)
        #expect(try later.substitute(cache.data), "\(later.problems)")
    }
}

/// No tree, lock or staging area is left in `store`'s directory.
func expectNothingLeft(in store: Store, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let directory = store.directory.path
    #expect(
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") } == [],
        sourceLocation: sourceLocation)
    for hidden in ["/.locks", "/.tmp"] {
        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: directory + hidden)) ?? []).isEmpty,
            sourceLocation: sourceLocation)
    }
}
