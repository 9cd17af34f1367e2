import DevenvBasics
import Foundation
import TestSupport
import Testing

@testable import DevenvStore

/// A store in a fresh temporary DEVENV_HOME.
final class StoreFixture {
    let dir: TemporaryDirectory
    let store: Store

    init() throws {
        dir = try TemporaryDirectory("store")
        store = try Store(location: StoreLocation(home: dir("home")))
    }

    func full(_ path: StorePath) -> String { store.directory.fullPath(of: path) }

    /// Names in the store directory other than valid paths' (ignoring the tool's own dot entries).
    func strayEntries() throws -> [String] {
        let valid = Set(try store.validPaths().map(\.baseName))
        return try FileManager.default.contentsOfDirectory(atPath: store.directory.path)
            .filter { !$0.hasPrefix(".") && !valid.contains($0) }
    }
}

struct StoreTests {
    @Test func addGivesTheSamePathAsNixStoreAdd() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        // Nix adds into a store in the directory devenv will use; that store is then wiped, so both
        // compute names for the same directory without sharing any file.
        var expected: [String: String] = [:]
        for name in NixTrees.names {
            expected[name] = try Nix.add(dir(name), storeDirectory: dir("store"), state: dir("nix-state"))
        }
        try dir.sh("chmod -R u+w store && rm -rf store")
        let store = try Store(location: StoreLocation(home: dir("home"), storeDirectory: dir("store")))
        for name in NixTrees.names {
            let path = try store.add(dir(name))
            #expect(store.directory.fullPath(of: path) == expected[name], "\(name)")
            let info = try store.validPathInfo(path)
            #expect(info.narHash == (try Nar.hash(of: dir(name))).hash)
            #expect(info.contentAddress == .fixed(recursive: true, hash: info.narHash))
            #expect(info.references.isEmpty)
        }
    }

    @Test func aDatabaseOfAnOlderSchemaGainsWhatItLacksAndKeepsItsPaths() throws {
        let dir = try TemporaryDirectory("store-schema")
        let location = StoreLocation(home: dir("home"), storeDirectory: dir("store"))
        try FileManager.default.createDirectory(atPath: dir("home"), withIntermediateDirectories: true)
        // Schema 2 as devenv wrote it before signatures were kept, with one path.
        let schema = [
            "CREATE TABLE Meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE ValidPaths (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT UNIQUE NOT NULL, narHash TEXT NOT NULL, narSize INTEGER NOT NULL, registrationTime INTEGER NOT NULL, deriver TEXT, ca TEXT)",
            "CREATE TABLE Refs (referrer INTEGER NOT NULL REFERENCES ValidPaths(id) ON DELETE CASCADE, reference INTEGER NOT NULL REFERENCES ValidPaths(id) ON DELETE RESTRICT, PRIMARY KEY (referrer, reference))",
            "CREATE INDEX IndexReference ON Refs(reference)",
            "CREATE TABLE Roots (path TEXT NOT NULL, kind TEXT NOT NULL, owner TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (path, kind, owner))",
            "PRAGMA user_version = 2",
            "INSERT INTO Meta VALUES ('storeDir', '\(location.storeDirectory.path)')",
            "INSERT INTO ValidPaths (path, narHash, narSize, registrationTime) VALUES ('\(location.storeDirectory.path)/ikiifxrnjzkm8b336gkxxrqk1s8shnip-narA', 'sha256:\(String(repeating: "ab", count: 32))', 8, 1)",
        ]
        let script =
            "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\nfor s in sys.argv[2:]: db.execute(s)\ndb.commit()\n"
        let made = try runCommand("/usr/bin/python3", ["-c", script, dir("home/db.sqlite")] + schema)
        #expect(made.status == 0, "\(made.stderr)")
        let store = try Store(location: location)
        let path = try StorePath(baseName: "ikiifxrnjzkm8b336gkxxrqk1s8shnip-narA")
        let info = try #require(try store.pathInfo(path))
        #expect(info.narSize == 8 && info.signatures.isEmpty)
        #expect(try store.database.unsharedPaths() == [])
    }

    @Test func addedTreesAreNormalizedAndReadOnly() throws {
        let fixture = try StoreFixture()
        try NixTrees.make(in: fixture.dir)
        try fixture.dir.sh("chmod 700 narA/run.sh; chmod 640 narA/hello.txt; touch -d 2020-01-01 narA/sub")
        let root = fixture.full(try fixture.store.add(fixture.dir("narA")))
        let modes = try fixture.dir.sh("cd '\(root)' && stat -c '%n %a %Y' . hello.txt run.sh sub sub/b.txt")
        #expect(modes == ". 555 1\nhello.txt 444 1\nrun.sh 555 1\nsub 555 1\nsub/b.txt 444 1")
        #expect(try fixture.dir.sh("stat -c %Y '\(root)/link'") == "1")  // the link itself, not its target
        #expect(try fixture.dir.sh("readlink '\(root)/link'") == "hello.txt")
    }

    @Test func addingTheSameContentTwiceYieldsOnePath() throws {
        let fixture = try StoreFixture()
        try NixTrees.make(in: fixture.dir)
        try fixture.dir.sh("cp -a narA again && touch again/hello.txt && mv again copy && mkdir x && mv copy x/narA")
        let first = try fixture.store.add(fixture.dir("narA"))
        let second = try fixture.store.add(fixture.dir("x/narA"))
        #expect(first == second)
        #expect(try fixture.store.validPaths() == [first])
        #expect(try fixture.strayEntries() == [])
    }

    @Test func identicalFilesOfDifferentPathsShareTheirBytesUntilNothingUsesThem() throws {
        let fixture = try StoreFixture()
        try fixture.dir.sh(
            """
            mkdir -p one/sub two
            printf 'same bytes' > one/sub/a; printf 'same bytes' > two/b; printf 'same bytes' > two/run
            chmod +x two/run; printf 'only here' > one/c; : > one/empty; : > two/empty
            """)
        let one = try fixture.store.add(fixture.dir("one"))
        let two = try fixture.store.add(fixture.dir("two"))
        let (a, b, run) = (fixture.full(one) + "/sub/a", fixture.full(two) + "/b", fixture.full(two) + "/run")
        func inode(_ path: String) throws -> String { try fixture.dir.sh("stat -c %i '\(path)'") }
        #expect(try inode(a) == inode(b))
        // Executable or not is part of what is shared; empty files are not worth a link.
        #expect(try inode(run) != inode(a))
        #expect(try inode(fixture.full(one) + "/empty") != inode(fixture.full(two) + "/empty"))
        // The paths are as they were: modes, times, NAR hashes.
        #expect(
            try fixture.dir.sh("stat -c '%a %Y' '\(fixture.full(one))/sub' '\(b)' '\(run)'") == "555 1\n444 1\n555 1")
        let verification = try fixture.store.verify(checkContents: true, repair: false)
        #expect(verification.problems.isEmpty)

        _ = try fixture.store.collectGarbage(roots: [two], dryRun: false)
        #expect(try String(contentsOfFile: b, encoding: .utf8) == "same bytes")
        let links = fixture.store.directory.path + "/.links"
        #expect(try FileManager.default.contentsOfDirectory(atPath: links).count == 2)  // b and run
        _ = try fixture.store.collectGarbage(roots: [], dryRun: false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: links) == [])
    }

    @Test func aSubstitutedPathIsSharedByTheNextCollectionNotWhenItArrives() throws {
        let fixture = try StoreFixture()
        try fixture.dir.sh(
            """
            mkdir -p one two/sub; printf 'same bytes' > one/a; printf 'same bytes' > two/sub/b; printf 'other' > two/c
            # A NAR large enough for writer threads; a file larger than they take whole (they get
            # it in pieces), and the largest they do.
            head -c 17825795 /dev/urandom > two/sub/large; head -c 2097152 /dev/urandom > two/edge; chmod +x two/edge
            """)
        let one = try fixture.store.add(fixture.dir("one"))
        let two = try fixture.store.add(fixture.dir("two"))
        let info = try fixture.store.validPathInfo(two)
        let nar = open(fixture.dir("two.nar"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        try Nar.dump(fixture.full(two), to: nar)
        close(nar)
        _ = try fixture.store.collectGarbage(roots: [one], dryRun: false)
        #expect(try !fixture.store.isValid(two))

        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: fixture.dir("two.nar")))
        let staging = try fixture.store.makeStagingArea()
        try fixture.store.unpackSubstitute(
            staging, narSize: info.narSize,
            reading: { buffer in try SystemCall.readFully(input.fileDescriptor, buffer, "cannot read the NAR") },
            check: {})
        let placed = try #require(try fixture.store.placeSubstitute(staging, as: info))
        #expect(try !fixture.store.isValid(two))
        try fixture.store.makeValid([placed])
        let (a, b) = (fixture.full(one) + "/a", fixture.full(two) + "/sub/b")
        func inode(_ path: String) throws -> String { try fixture.dir.sh("stat -c %i '\(path)'") }
        #expect(try inode(a) != inode(b))
        #expect(try fixture.store.database.unsharedPaths() == [two])
        #expect(try fixture.store.verify(checkContents: true, repair: false).problems.isEmpty)
        #expect(
            try fixture.dir.sh("cd '\(fixture.full(two))' && stat -c '%n %a %Y' sub/large edge")
                == "sub/large 444 1\nedge 555 1")

        _ = try fixture.store.collectGarbage(roots: [one, two], dryRun: false)
        #expect(try inode(a) == inode(b))
        #expect(try fixture.store.database.unsharedPaths() == [])
        #expect(
            try fixture.dir.sh("stat -c '%a %Y' '\(fixture.full(two))' '\(fixture.full(two))/sub' '\(b)'")
                == "555 1\n555 1\n444 1")
        #expect(try fixture.store.verify(checkContents: true, repair: false).problems.isEmpty)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: fixture.store.directory.path + "/.links").count == 4)
    }

    @Test func aSubstituteCutOffInsideALargeFileLeavesNothing() throws {
        let fixture = try StoreFixture()
        // Large enough to be written by threads of its own, in pieces.
        try fixture.dir.sh("mkdir t; head -c 20971520 /dev/urandom > t/large; printf x > t/small")
        let path = try fixture.store.add(fixture.dir("t"))
        let info = try fixture.store.validPathInfo(path)
        let nar = open(fixture.dir("t.nar"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        try Nar.dump(fixture.full(path), to: nar)
        close(nar)
        _ = try fixture.store.collectGarbage(roots: [], dryRun: false)
        try fixture.dir.sh("truncate -s 12000000 t.nar")

        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: fixture.dir("t.nar")))
        #expect(throws: StoreError.self) {
            try fixture.store.unpackSubstitute(
                try fixture.store.makeStagingArea(), narSize: info.narSize,
                reading: { buffer in try SystemCall.readFully(input.fileDescriptor, buffer, "cannot read the NAR") },
                check: {})
        }
        #expect(try !fixture.store.isValid(path))
        #expect(!FileManager.default.fileExists(atPath: fixture.full(path)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.store.directory.path + "/.tmp").isEmpty)
    }

    /// A large NAR (its files written by threads of their own) whose file says it is nearly
    /// `Int.max` bytes long: cut short, an error, however its length is counted in pieces.
    @Test func aFileLengthNearTheLargestIntegerIsTruncationNotACrash() throws {
        let fixture = try StoreFixture()
        func string(_ text: String) -> [UInt8] {
            let bytes = Array(text.utf8)
            return withUnsafeBytes(of: UInt64(bytes.count).littleEndian, Array.init) + bytes
                + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
        }
        for length in [UInt64(Int.max), UInt64(Int.max) - (1 << 20) + 2] {
            var nar = ["nix-archive-1", "(", "type", "regular", "contents"].flatMap(string)
            nar += withUnsafeBytes(of: length.littleEndian, Array.init)
            var offset = 0
            let error = #expect(throws: StoreError.self) {
                try fixture.store.unpackSubstitute(
                    try fixture.store.makeStagingArea(), narSize: 16 << 20,
                    reading: { buffer in
                        let n = min(buffer.count, nar.count - offset)
                        buffer.copyBytes(from: nar[offset..<offset + n])
                        offset += n
                        return n
                    }, check: {})
            }
            #expect(error?.description.contains("truncated") == true, "\(String(describing: error))")
        }
    }

    @Test func aPlacedSubstituteIsValidOnlyOnceMadeValidWithItsReferencesAndIsRemovedIfDropped() throws {
        let fixture = try StoreFixture()
        try fixture.dir.sh("mkdir lib app gone; echo l > lib/l; echo a > app/a; echo g > gone/g")
        let paths = try ["lib", "app", "gone"].map { try fixture.store.add(fixture.dir($0)) }
        let infos = try paths.map { try fixture.store.validPathInfo($0) }
        for (name, path) in zip(["lib", "app", "gone"], paths) {
            let nar = open(fixture.dir(name + ".nar"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            try Nar.dump(fixture.full(path), to: nar)
            close(nar)
        }
        _ = try fixture.store.collectGarbage(roots: [], dryRun: false)
        func place(_ name: String, as info: PathInfo) throws -> PlacedPath {
            let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: fixture.dir(name + ".nar")))
            let staging = try fixture.store.makeStagingArea()
            try fixture.store.unpackSubstitute(
                staging, narSize: info.narSize,
                reading: { buffer in try SystemCall.readFully(input.fileDescriptor, buffer, "cannot read the NAR") },
                check: {})
            return try #require(try fixture.store.placeSubstitute(staging, as: info))
        }
        let locks = fixture.store.directory.path + "/.locks"
        // `app` refers to `lib`: alone, it cannot be made valid; with `lib`, in one transaction, it can.
        let (lib, app) = (paths[0], paths[1])
        let appInfo = PathInfo(path: app, narHash: infos[1].narHash, narSize: infos[1].narSize, references: [lib])
        let placedApp = try place("app", as: appInfo)
        #expect(FileManager.default.fileExists(atPath: fixture.full(app) + "/a"))
        #expect(try !fixture.store.isValid(app))
        #expect(try FileManager.default.contentsOfDirectory(atPath: locks) == [app.baseName + ".lock"])
        #expect(throws: StoreError.self) { try fixture.store.makeValid([placedApp]) }
        #expect(try !fixture.store.isValid(app))
        try fixture.store.makeValid([placedApp, try place("lib", as: infos[0])])
        #expect(try fixture.store.isValid(app) && fixture.store.isValid(lib))
        #expect(try fixture.store.validPathInfo(app).references == [lib])
        #expect(try FileManager.default.contentsOfDirectory(atPath: locks) == [])
        // A placed path dropped before it is valid (its transaction failed) leaves nothing.
        _ = try place("gone", as: infos[2])
        #expect(try fixture.strayEntries() == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: locks) == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.store.directory.path + "/.tmp") == [])
    }

    @Test func closingTheStoreLeavesItsLogToTheNextCheckpointAndTheNextOpenReadsIt() throws {
        let dir = try TemporaryDirectory("store")
        let location = StoreLocation(home: dir("home"))
        try dir.sh("mkdir tree; echo x > tree/a")
        var store: Store? = try Store(location: location)
        let path = try store!.add(dir("tree"))
        store = nil
        let log = try FileManager.default.attributesOfItem(atPath: location.databasePath + "-wal")
        #expect((log[.size] as? Int ?? 0) > 0)
        #expect(try Store(location: location).isValid(path))
    }

    @Test func filesAndSymlinksCanBeAddedToo() throws {
        let fixture = try StoreFixture()
        try NixTrees.make(in: fixture.dir)
        let file = try fixture.store.add(fixture.dir("ex1"))
        #expect(try fixture.dir.sh("stat -c %a '\(fixture.full(file))'") == "555")
        let link = try fixture.store.add(fixture.dir("toplink"))
        #expect(try fixture.dir.sh("readlink '\(fixture.full(link))'") == "/nix/store/foo")
    }

    @Test func removingATreeOfAnyDepthNeedsNoRecursion() throws {
        let dir = try TemporaryDirectory("deep")
        // 20,000 read-only levels, made one directory at a time (the path is too long to name).
        mkdir(dir("tree"), 0o755)
        var fd = open(dir("tree"), O_RDONLY | O_DIRECTORY)
        for _ in 0..<20_000 {
            mkdirat(fd, "d", 0o755)
            let file = openat(fd, "f", O_WRONLY | O_CREAT, 0o444)
            close(file)
            let child = openat(fd, "d", O_RDONLY | O_DIRECTORY)
            fchmod(fd, 0o555)
            close(fd)
            fd = child
        }
        close(fd)
        try FileTree.remove(dir("tree"))
        #expect(!FileManager.default.fileExists(atPath: dir("tree")))
    }

    @Test func aFailedAddLeavesNothingBehind() throws {
        let fixture = try StoreFixture()
        try fixture.dir.sh("mkdir tree; echo x > tree/a; mkfifo tree/pipe; mkdir 'bad name'")
        // What the file system refuses is a SystemError, what the store refuses a StoreError.
        #expect(throws: SystemError.self) { try fixture.store.add(fixture.dir("tree")) }
        #expect(throws: StoreError.self) { try fixture.store.add(fixture.dir("bad name")) }
        #expect(throws: SystemError.self) { try fixture.store.add(fixture.dir("missing")) }
        #expect(try fixture.strayEntries() == [])
        #expect(try fixture.store.validPaths() == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.store.directory.path + "/.tmp") == [])
    }

    @Test func closuresFollowReferencesDependenciesFirst() throws {
        let fixture = try StoreFixture()
        try fixture.dir.sh("mkdir a b c; echo a > a/f; echo b > b/f; echo c > c/f")
        let a = try fixture.store.add(fixture.dir("a"))
        let b = try fixture.store.add(fixture.dir("b"))
        let c = try fixture.store.add(fixture.dir("c"))
        // Register made-up dependents by hand: app -> lib -> a, app -> b, lib -> lib (self).
        let lib = try StorePath(hashPart: String(repeating: "1", count: 32), name: "lib")
        let app = try StorePath(hashPart: String(repeating: "2", count: 32), name: "app")
        let hash = Hasher.hash(.sha256, [UInt8]())
        try fixture.store.database.register([
            PathInfo(path: app, narHash: hash, narSize: 5, references: [lib, b]),
            PathInfo(path: lib, narHash: hash, narSize: 7, references: [a, lib]),
        ])
        let closure = try fixture.store.closure(of: [app])
        #expect(Set(closure.map(\.path)) == [app, lib, a, b])
        let order = closure.map(\.path)
        #expect(order.firstIndex(of: a)! < order.firstIndex(of: lib)!)
        #expect(order.firstIndex(of: lib)! < order.firstIndex(of: app)!)
        #expect(order.last == app)
        #expect(try fixture.store.closure(of: [c]).map(\.path) == [c])
        #expect(try fixture.store.database.referrers(of: a) == [lib])
        #expect(try fixture.store.validPathInfo(lib).references == [a, lib].sorted())

        let orphan = try StorePath(hashPart: String(repeating: "3", count: 32), name: "orphan")
        #expect(throws: StoreError.self) {
            try fixture.store.database.register([
                PathInfo(
                    path: orphan, narHash: hash, narSize: 1,
                    references: [try StorePath(baseName: "\(String(repeating: "4", count: 32))-gone")])
            ])
        }
        #expect(try !fixture.store.isValid(orphan))
    }

    @Test func theDatabaseBelongsToOneStoreDirectory() throws {
        let fixture = try StoreFixture()
        let error = #expect(throws: StoreError.self) {
            try Store(location: StoreLocation(home: fixture.dir("home"), storeDirectory: fixture.dir("elsewhere")))
        }
        #expect(error?.description.contains("belongs to the store \(fixture.store.directory.path)") == true)
    }

    @Test func locationFollowsTheEnvironment() throws {
        #expect(StoreLocation.fromEnvironment(["HOME": "/h"]).home == "/h/.local/share/devenv")
        #expect(StoreLocation.fromEnvironment(["HOME": "/h", "XDG_DATA_HOME": "/x"]).home == "/x/devenv")
        let explicit = StoreLocation.fromEnvironment(["HOME": "/h", "DEVENV_HOME": "/d", "DEVENV_STORE_DIR": "/s/"])
        #expect(explicit.home == "/d")
        #expect(explicit.storeDirectory.path == "/s")
        #expect(explicit.databasePath == "/d/db.sqlite")
        // Padded to one length, so that stores of different homes can substitute from each other.
        let padded = StoreLocation.fromEnvironment(["DEVENV_HOME": "/d"]).storeDirectory.path
        #expect(padded == "/d/store" + String(repeating: "_", count: 88) && padded.utf8.count == 96)
        #expect(StoreLocation(home: "/" + String(repeating: "h", count: 90)).storeDirectory.path.hasSuffix("h/store"))
        // A store made before padding keeps its directory.
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir("home/store"), withIntermediateDirectories: true)
        #expect(StoreLocation(home: dir("home")).storeDirectory.path == dir("home/store"))
    }
}

struct LeftoverTests {
    @Test func whatADeadProcessLeftIsCleanedUpAndALiveOnesWorkIsNot() throws {
        let fixture = try StoreFixture()
        try NixTrees.make(in: fixture.dir)
        let path = try fixture.store.add(fixture.dir("narA"))
        // The state of a process killed between the rename into the store and the commit.
        try fixture.store.database.invalidate([path])
        let staging = fixture.store.directory.path + "/.tmp"
        try fixture.dir.sh(
            """
            mkdir -p '\(staging)/dead/tree' && touch '\(staging)/dead.lock' '\(staging)/dead/tree/x'
            printf '%s' '\(path.baseName)' > '\(staging)/dead/target'
            mkdir '\(staging)/alive' && touch '\(staging)/alive/x'
            """)
        let alive = try PathLock.acquire(staging + "/alive.lock")
        // Path locks: one a killed process left, one a live process holds.
        let locks = fixture.store.directory.path + "/.locks"
        try fixture.dir.sh("touch '\(locks)/dead.lock'")
        let held = try PathLock.acquire(locks + "/held.lock")
        defer { held.release() }
        _ = try Store(location: fixture.store.location)
        #expect(!FileManager.default.fileExists(atPath: fixture.full(path)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging).sorted() == ["alive", "alive.lock"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: locks) == ["held.lock"])
        alive.release()
        _ = try Store(location: fixture.store.location)
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging).sorted() == ["alive"])
    }
}

struct FixedOutputTests {
    /// `nix-store --add-fixed` for every algorithm, flat and recursive, in a store directory of our own.
    @Test func fixedOutputPathsMatchNixStoreAddFixed() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        let store = StoreDirectory(dir("store"))
        for algorithm in HashAlgorithm.allCases {
            for (name, recursive) in [("single.txt", false), ("ex1", false), ("narA", true), ("single.txt", true)] {
                let expected = try Nix.addFixed(
                    dir(name), algorithm: algorithm.rawValue, recursive: recursive, storeDirectory: store.path,
                    state: dir("nix-state"))
                let hash =
                    recursive
                    ? try Nar.hash(of: dir(name), algorithm: algorithm).hash
                    : Hasher.hash(algorithm, [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir(name)))))
                let ours = try store.path(for: .fixed(recursive: recursive, hash: hash), name: name)
                #expect(store.fullPath(of: ours) == expected, "\(algorithm) \(name) recursive: \(recursive)")
            }
        }
    }
}

struct DeletedTreeTests {
    @Test func addingAgainPutsBackATreeDeletedByHand() throws {
        let fixture = try StoreFixture()
        try NixTrees.make(in: fixture.dir)
        let path = try fixture.store.add(fixture.dir("narA"))
        try fixture.dir.sh("chmod u+w '\(fixture.full(path))' && rm -rf '\(fixture.full(path))'")
        #expect(try fixture.store.add(fixture.dir("narA")) == path)
        #expect(try fixture.store.verify(checkContents: true, repair: false).problems.isEmpty)
    }
}
