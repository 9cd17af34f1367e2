import DevenvBuild
import DevenvPackages
import DevenvProject
import DevenvStore
import Foundation
import TestSupport
import Testing

/// `debian:SUITE/PACKAGE` through the CLI, against a signed Debian archive the tests make and
/// serve on loopback (config.toml points Debian's mirror at it and trusts its key): locked,
/// pinned, relocated, run, described, searched; bad archives refused with nothing stored.
struct DebianCommandTests {
    final class Fixture: @unchecked Sendable {
        let dir: TemporaryDirectory
        let server: HTTPServer
        let devenv: DevenvCLI
        let repository: DebianRepository

        /// The C programs of `DebianPrograms` and `extra` packages, in the suite `testing`;
        /// `trusted`: config.toml trusts the archive's key.
        init(extra: [DebianRepository.Package] = [], trusted: Bool = true) throws {
            dir = try TemporaryDirectory("debian-cli")
            try dir.sh("mkdir -p mirror home proj")
            repository = DebianRepository(root: dir("mirror"))
            try repository.build(try DebianPrograms(building: dir).packages + extra)
            server = try HTTPServer(root: dir("mirror"))
            devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
            try configure(devenv, trusted: trusted)
        }

        func configure(_ devenv: DevenvCLI, trusted: Bool = true) throws {
            try repository.publicKey.write(toFile: devenv.home + "/key.asc", atomically: true, encoding: .utf8)
            try """
            [mirrors]
            "https://deb.debian.org/debian/" = "\(server.url(""))"
            "https://snapshot.debian.org/archive/debian/" = "\(server.url("snapshot/"))"
            \(trusted ? "[debian]\nkeys = [\"key.asc\"]" : "")
            """.write(toFile: devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        }

        /// A package set in `set/` whose `greeter` is the archive's `hello`; `keys`: more of its recipe.
        func greeterSet(_ keys: String = "") throws {
            try dir.sh("mkdir -p set")
            try """
            [greeter]
            version = "1.0"
            description = "hello from the test archive"
            homepage = "h"
            license = "l"
            origin = "o"
            debian = "testing/hello"
            \(keys)
            """.write(toFile: dir("set/set.toml"), atomically: true, encoding: .utf8)
        }

        func project(_ packages: [String]) throws {
            try "[shell]\npackages = [\(packages.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
                .write(toFile: dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        }

        /// The store's entries other than the fetched `.deb`s and the locks.
        func outputs(_ devenv: DevenvCLI) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: devenv.storeDirectory)
                .filter { !$0.hasPrefix(".") && !$0.hasSuffix(".deb") }.sorted()
        }
    }

    @Test func aDebianPackageIsPinnedRelocatedAndRealizedFromTheLockAlone() throws {
        let fixture = try Fixture()
        try fixture.project(["debian:testing/hello"])
        let locked = try fixture.devenv("lock", "-C", fixture.dir("proj"))
        #expect(locked.status == 0, "\(locked.stderr)")
        #expect(locked.output.contains("+ hello 1.0-1"), "\(locked.output)")
        let lock = try String(contentsOfFile: fixture.dir("proj/devenv.lock"), encoding: .utf8)
        #expect(lock.contains("\"request\": \"debian:testing/hello\""))
        #expect(lock.contains("\"input\": \"debian:testing\""))
        #expect(lock.contains("\"suite\": \"testing\""))
        for deb in ["hello_1.0-1_amd64.deb", "libc6_2.0-1_amd64.deb", "libgreet1_1.0-1_amd64.deb"] {
            #expect(lock.contains("\"filename\": \"pool/main/\(deb)\""), "\(deb)")
            #expect(lock.contains("\"url\": \"https://deb.debian.org/debian/pool/main/\(deb)\""), "\(deb)")
        }
        let ran = try fixture.devenv("develop", "-C", fixture.dir("proj"), "-c", "hello")
        #expect(ran.status == 0 && ran.output == "hello, world", "\(ran.stderr)")

        // Another machine: no index cached, and the mirror has lost its index too.
        try fixture.dir.sh("rm -rf mirror/dists && mkdir other")
        let other = DevenvCLI(home: fixture.dir("other"), environment: ["CI": "true"])
        try fixture.configure(other)
        let again = try other("develop", "--frozen", "-C", fixture.dir("proj"), "-c", "hello")
        #expect(again.status == 0 && again.output == "hello, world", "\(again.stderr)")
        #expect(try fixture.outputs(other).contains { $0.hasSuffix("-hello-1.0-1") })
        #expect(try String(contentsOfFile: fixture.dir("proj/devenv.lock"), encoding: .utf8) == lock)
    }

    @Test func aDebTheMirrorsDroppedComesFromTheSnapshotOfTheLocksDate() throws {
        let fixture = try Fixture()
        try fixture.project(["debian:testing/hello"])
        #expect(try fixture.devenv("lock", "-C", fixture.dir("proj")).status == 0)
        let lock = try String(contentsOfFile: fixture.dir("proj/devenv.lock"), encoding: .utf8)
        let date = try #require(lock.firstMatch(of: /"date": "(\d{8}T\d{6}Z)"/)?.1)
        // The mirror has moved on; Debian's snapshot service (on loopback here) keeps the pool by date.
        try fixture.dir.sh("mkdir -p mirror/snapshot/\(date) other && mv mirror/pool mirror/snapshot/\(date)/pool")
        let other = DevenvCLI(home: fixture.dir("other"), environment: ["CI": "true"])
        try fixture.configure(other)
        // What CI runs realizes the lock the same way.
        let checked = try other("check", "-C", fixture.dir("proj"))
        #expect(checked.status == 0, "\(checked.output) \(checked.stderr)")
        let ran = try other("develop", "--frozen", "-C", fixture.dir("proj"), "-c", "hello")
        #expect(ran.status == 0 && ran.output == "hello, world", "\(ran.stderr)")
    }

    @Test func aBackportsPackageIsResolvedWithItsBaseSuiteAndItsPinsNameEachDebsSuite() throws {
        let fixture = try Fixture(extra: [
            DebianRepository.Package("greeting-words", "1.0-1", files: ["usr/share/greeting/words": ("world\n", false)])
        ])
        // Marked as Debian marks backports: apt takes their packages only when asked to.
        let hello = try #require(DebianPrograms(building: fixture.dir).packages.first { $0.name == "hello" })
        var newer = hello
        newer.version = "1.1-1~bpo1"
        newer.fields["Depends"] = "libgreet1, libc6, greeting-words (>= 2)"
        try DebianRepository(root: fixture.dir("mirror"), suite: "testing-backports").build(
            [
                newer,
                DebianRepository.Package(
                    "libgreet1", "1.1-1~bpo1", fields: ["Depends": "missing-in-both"]),
                DebianRepository.Package(
                    "greeting-words", "2.0-1~bpo1", files: ["usr/share/greeting/words": ("world\n", false)]),
            ], releaseFields: ["NotAutomatic": "yes", "ButAutomaticUpgrades": "yes"])
        try fixture.project(["debian:testing-backports/hello"])
        let locked = try fixture.devenv("lock", "-C", fixture.dir("proj"))
        #expect(locked.status == 0, "\(locked.stderr)")
        #expect(locked.output.contains("+ hello 1.1-1~bpo1"), "\(locked.output)")
        let lock = try String(contentsOfFile: fixture.dir("proj/devenv.lock"), encoding: .utf8)
        let pin = try #require(try Lockfile(parsing: lock).shells["default"]?["x86_64-linux"]?.first?.debian)
        // libgreet1 from the base suite, whose priority is higher; greeting-words from backports,
        // the only suite whose version will do.
        #expect(
            pin.debs.map { "\($0.package) \($0.version) \($0.suite)" } == [
                "greeting-words 2.0-1~bpo1 testing-backports", "hello 1.1-1~bpo1 testing-backports",
                "libc6 2.0-1 testing", "libgreet1 1.0-1 testing", "libword1 1.0-1 testing",
            ])
        #expect(pin.suite == "testing-backports")
        #expect(lock.contains("\"suite\": \"testing\""))
        let ran = try fixture.devenv("develop", "-C", fixture.dir("proj"), "-c", "hello")
        #expect(ran.status == 0 && ran.output == "hello, world", "\(ran.stderr)")
        let info = try fixture.devenv("info", "debian:testing-backports/hello")
        #expect(info.output.hasPrefix("hello 1.1-1~bpo1 (Debian testing-backports, amd64)"), "\(info.output)")
        // A package only the base suite has is the base suite's to give, as apt's PACKAGE/SUITE.
        let base = try fixture.devenv("info", "debian:testing-backports/libc6")
        #expect(
            base.status != 0 && base.stderr.contains("Debian's testing-backports has no package libc6 for amd64"),
            "\(base.stderr)")
        let search = try fixture.devenv("search", "--debian", "--suite", "testing-backports", "greet")
        #expect(
            search.output.split(separator: "\n").map { $0.split(separator: " ")[0] } == [
                "debian:testing-backports/greeting-words", "debian:testing-backports/libgreet1",
            ], "\(search.output)")
    }

    @Test func updateReadsTheSuiteAnewForDebianRequestsAndTheSetsDebianNames() throws {
        let fixture = try Fixture()
        try fixture.greeterSet()
        try """
        [inputs]
        set = "path:\(fixture.dir("set"))"
        [shell]
        packages = ["set.greeter", "debian:testing/hello"]
        """.write(toFile: fixture.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        #expect(try fixture.devenv("lock", "-C", fixture.dir("proj")).status == 0)
        func pinned() throws -> Int {
            try String(contentsOfFile: fixture.dir("proj/devenv.lock"), encoding: .utf8)
                .components(separatedBy: "pool/main/hello_1.0-1_amd64.deb").count - 1
        }
        let before = try pinned()
        #expect(before >= 2)
        // A newer hello in the suite: lock keeps both pins, update takes it for both.
        try fixture.repository.build(
            DebianPrograms(building: fixture.dir).packages.map { package in
                var package = package
                if package.name == "hello" { package.version = "1:1.0~2-1" }
                return package
            })
        #expect(try fixture.devenv("lock", "-C", fixture.dir("proj")).status == 0)
        #expect(try pinned() == before)
        let updated = try fixture.devenv("update", "-C", fixture.dir("proj"))
        #expect(updated.status == 0, "\(updated.stderr)")
        #expect(try pinned() == 0)
        let lock = try String(contentsOfFile: fixture.dir("proj/devenv.lock"), encoding: .utf8)
        #expect(lock.components(separatedBy: "pool/main/hello_1:1.0~2-1_amd64.deb").count - 1 == before)
        // Each by what the manifest asks for and Debian's version (the store path has 1_1.0_2-1).
        for name in ["greeter", "hello"] {
            #expect(updated.output.contains("\(name) 1.0-1 → 1:1.0~2-1"), "\(updated.output)")
        }
    }

    @Test func aRecipeMakesItsLinksBringsItsCompanionsAndAnOlderRelocationIsLockedAgain() throws {
        let fixture = try Fixture(extra: [
            DebianRepository.Package("greeting-words", "1.0-1", files: ["usr/share/greeting/words": ("world\n", false)])
        ])
        try fixture.greeterSet(
            """
            links = { "usr/bin/greet" = "/usr/bin/hello" }
            debian-with = ["greeting-words"]
            """)
        func manifest(_ packages: String) throws {
            try "[inputs]\nset = \"path:\(fixture.dir("set"))\"\n[shell]\npackages = [\(packages)]\n"
                .write(toFile: fixture.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        }
        try manifest("\"set.greeter\"")
        let locked = try fixture.devenv("lock", "-C", fixture.dir("proj"))
        #expect(locked.status == 0, "\(locked.stderr)")
        let text = try String(contentsOfFile: fixture.dir("proj/devenv.lock"), encoding: .utf8)
        #expect(text.contains("\"filename\": \"pool/main/greeting-words_1.0-1_amd64.deb\""))
        #expect(text.contains("\"relocate\": \(Derivation.currentRelocation)"))
        let ran = try fixture.devenv("develop", "-C", fixture.dir("proj"), "-c", "greet")
        #expect(ran.status == 0 && ran.output == "hello, world", "\(ran.stderr)")
        // The companion is the package's dependency: realized with it.
        #expect(try fixture.outputs(fixture.devenv).contains { $0.hasSuffix("-greeting-words-1.0-1") })

        // The same lock as a devenv with the first relocation wrote it: not built by this one.
        var lock = try Lockfile(parsing: text)
        var older: [Derivation: Derivation] = [:]
        func first(_ derivation: Derivation) -> Derivation {
            if let done = older[derivation] { return done }
            var copy = derivation
            copy.dependencies = derivation.dependencies.map(first)
            if copy.relocation != 0 { copy.relocation = 1 }
            older[derivation] = copy
            return copy
        }
        let store = StoreDirectory(lock.storeDirectory)
        for index in lock.shells["default"]!["x86_64-linux"]!.indices {
            var package = lock.shells["default"]!["x86_64-linux"]![index]
            package.derivation = first(package.derivation)
            package.outPath = store.fullPath(of: try package.derivation.outputPath(in: store))
            package.narHash = nil
            lock.shells["default"]!["x86_64-linux"]![index] = package
        }
        try lock.text.write(toFile: fixture.dir("proj/devenv.lock"), atomically: true, encoding: .utf8)
        #expect(lock.text.contains("\"relocate\": true"))
        let stale = try fixture.devenv("develop", "--frozen", "-C", fixture.dir("proj"), "-c", "greet")
        #expect(
            stale.status != 0 && stale.stderr.contains("was locked for an older relocation")
                && stale.stderr.contains("`devenv update` locks it again"), "\(stale.stderr)")
        // Locking again for another reason takes the package anew.
        try manifest("\"set.greeter\", \"debian:testing/libword1\"")
        #expect(try fixture.devenv("lock", "-C", fixture.dir("proj")).status == 0)
        let relocked = try String(contentsOfFile: fixture.dir("proj/devenv.lock"), encoding: .utf8)
        #expect(!relocked.contains("\"relocate\": true"))
        #expect(try fixture.devenv("develop", "-C", fixture.dir("proj"), "-c", "greet").output == "hello, world")
    }

    @Test func aShellAmongARecipesCompanionsIsWhatItsScriptsRun() throws {
        // The host's dash, packaged as Debian's is (with usr/bin/sh), which nothing depends on.
        let fixture = try Fixture(extra: [
            DebianRepository.Package(
                "dash", "0.5-1", fields: ["Depends": "libc6"], copies: ["usr/bin/dash": "/usr/bin/dash"],
                links: ["usr/bin/sh": "dash"])
        ])
        try fixture.greeterSet("debian-with = [\"dash\"]")
        let built = try fixture.devenv("build", "--packages", fixture.dir("set"), "greeter")
        #expect(built.status == 0, "\(built.stderr)")
        let script = try String(contentsOfFile: built.output + "/usr/bin/sh-script", encoding: .utf8)
        #expect(
            script.hasPrefix("#!" + fixture.devenv.storeDirectory + "/") && script.contains("-dash-0.5-1/usr/bin/sh\n"),
            "\(script)")
        #expect(try runCommand(built.output + "/usr/bin/sh-script", []).output == "sh")
    }

    @Test func aHermeticRecipeBuildsWithDebianPackagesAndNothingOfTheHosts() throws {
        // The host's dash, packaged as Debian would (on the test archive's C library).
        let fixture = try Fixture(extra: [
            DebianRepository.Package(
                "dash", "0.5-1", fields: ["Depends": "libc6"], copies: ["usr/bin/dash": "/usr/bin/dash"],
                links: ["usr/bin/sh": "dash"])
        ])
        try fixture.greeterSet(
            """

            [shell]
            version = "1.0"
            description = "d"
            homepage = "h"
            license = "l"
            origin = "o"
            debian = "testing/dash"

            [greeting]
            version = "1.0"
            description = "what the test archive's hello says, written in a hermetic build"
            homepage = "h"
            license = "l"
            origin = "o"
            dependencies = ["greeter", "shell"]
            hermetic = true
            script = '''
            if [ -e /usr ] || [ -e /bin ] || [ -e /lib64 ]; then echo "the host's files are visible" >&2; exit 1; fi
            hello > "$out/greeting"
            '''
            """)
        let built = try fixture.devenv("build", "--packages", fixture.dir("set"), "greeting")
        #expect(built.status == 0, "\(built.stderr)")
        #expect(try String(contentsOfFile: built.output + "/greeting", encoding: .utf8) == "hello, world\n")

        // Locked in a project, the Debian packages it was built with are pinned with it.
        try """
        [inputs]
        set = "path:\(fixture.dir("set"))"
        [shell]
        packages = ["set.greeting"]
        """.write(toFile: fixture.dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
        let locked = try fixture.devenv("lock", "-C", fixture.dir("proj"))
        #expect(locked.status == 0, "\(locked.stderr)")
        let lock = try String(contentsOfFile: fixture.dir("proj/devenv.lock"), encoding: .utf8)
        #expect(lock.contains("\"hermetic\": true") && lock.contains("pool/main/dash_0.5-1_amd64.deb"))

        // Without a shell among its dependencies it cannot start.
        try fixture.greeterSet(
            """

            [greeting]
            version = "1.0"
            description = "d"
            homepage = "h"
            license = "l"
            origin = "o"
            dependencies = ["greeter"]
            hermetic = true
            script = "true"
            """)
        let shellless = try fixture.devenv("build", "--packages", fixture.dir("set"), "greeting")
        #expect(
            shellless.status != 0
                && shellless.stderr.contains("greeting builds hermetically, and none of its dependencies has `sh`"),
            "\(shellless.stderr)")
    }

    @Test func aSetsDebianPackageEntersAnAdHocShellThroughTheConfiguredMirror() throws {
        let fixture = try Fixture()
        try fixture.greeterSet()
        let ran = try fixture.devenv("shell", "--packages", fixture.dir("set"), "greeter", "-c", "hello")
        #expect(ran.status == 0 && ran.output == "hello, world", "\(ran.stderr)")
        // Its store path is known once locked.
        let info = try fixture.devenv("info", "--packages", fixture.dir("set"), "greeter")
        #expect(
            info.output.hasSuffix(
                "store path: greeter is debian:testing/hello, resolved in Debian's index when a project (or `devenv shell`) locks it"
            ), "\(info.output)")
    }

    @Test func buildShellAndProfileTakeDebianPackages() throws {
        let fixture = try Fixture()
        let built = try fixture.devenv("build", "debian:testing/hello")
        #expect(built.status == 0 && built.output.hasSuffix("-hello-1.0-1"), "\(built.stderr)")
        let hello = try runCommand(built.output + "/usr/bin/hello", [])
        #expect(hello.output == "hello, world")
        let info = try fixture.devenv("info", "debian:testing/hello")
        #expect(info.output.contains("store path: \(built.output) (realized)"), "\(info.output)")
        let shell = try fixture.devenv("shell", "debian:testing/hello", "-c", "hello")
        #expect(shell.status == 0 && shell.output == "hello, world", "\(shell.stderr)")
        let installed = try fixture.devenv("profile", "install", "debian:testing/hello")
        #expect(installed.status == 0, "\(installed.stderr)")
        let profiled = try runCommand(fixture.dir("home") + "/bin/hello", [])
        #expect(profiled.output == "hello, world", "\(profiled.stderr)")
        // Names that are not Debian's are refused before anything is resolved.
        for hostile in ["debian:testing/h;ls", "debian:../x", "debian:testing/$(id)"] {
            let refused = try fixture.devenv("build", hostile)
            #expect(
                refused.status != 0
                    && refused.stderr.contains(
                        "'\(hostile)' is not a package (NAME or NAME@VERSION of the set, or debian:SUITE/PACKAGE)"),
                "\(refused.stderr)")
        }
    }

    @Test func theEnvironmentHasEachPythonsStandardLibraryBesideItsBin() throws {
        // A venv made with the environment's python3 finds the standard library by searching up
        // from the environment's bin; a directory without os.py is no standard library.
        let fixture = try Fixture(extra: [
            DebianRepository.Package(
                "python3.13", "3.13-1",
                files: [
                    "usr/bin/python3.13": ("#!/bin/sh\necho python\n", true),
                    "usr/lib/python3.13/os.py": ("# os\n", false),
                    "usr/lib/python3.14/README": ("not a standard library\n", false),
                ])
        ])
        try fixture.project(["debian:testing/python3.13"])
        let ran = try fixture.devenv(
            "develop", "-C", fixture.dir("proj"), "-c", "sh", "-c",
            "bin=$(dirname \"$(command -v python3.13)\"); cat \"$bin/../lib/python3.13/os.py\"; ls \"$bin/../lib\"")
        #expect(ran.status == 0 && ran.output == "# os\npython3.13", "\(ran.output) \(ran.stderr)")
    }

    @Test func otherComponentsAreLookedUpWhenConfigTomlNamesThem() throws {
        let extra = DebianRepository.Package(
            "contrib-tool", "2.0-1", fields: ["Depends": "libc6"],
            files: ["usr/share/doc/contrib-tool/x": ("x", false)],
            component: "contrib")
        let fixture = try Fixture(extra: [extra])
        let missing = try fixture.devenv("info", "debian:testing/contrib-tool")
        #expect(missing.status != 0 && missing.stderr.contains("has no package contrib-tool"), "\(missing.stderr)")
        let config = try String(contentsOfFile: fixture.devenv.home + "/config.toml", encoding: .utf8)
        try (config + "\ncomponents = [\"main\", \"contrib\"]\n")
            .write(toFile: fixture.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        let found = try fixture.devenv("info", "debian:testing/contrib-tool")
        #expect(found.status == 0 && found.output.hasPrefix("contrib-tool 2.0-1"), "\(found.stderr)")
        try (config + "\ncomponents = [\"main\", \"non-free\"]\n")
            .write(toFile: fixture.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        let absent = try fixture.devenv("info", "debian:testing/contrib-tool")
        #expect(
            absent.status != 0 && absent.stderr.contains("the suite testing has no component 'non-free'"),
            "\(absent.stderr)")
        try (config + "\ncomponents = [\"Main Stuff\"]\n")
            .write(toFile: fixture.devenv.home + "/config.toml", atomically: true, encoding: .utf8)
        let bad = try fixture.devenv("info", "debian:testing/contrib-tool")
        #expect(bad.status != 0 && bad.stderr.contains("'components' must name archive areas"), "\(bad.stderr)")
    }

    @Test func infoAndSearchShowTheSuitesPackages() throws {
        let fixture = try Fixture()
        let info = try fixture.devenv("info", "debian:testing/hello")
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.output.hasPrefix("hello 1.0-1 (Debian testing, amd64)\n  hello for the tests\n"), "\(info.output)")
        #expect(info.output.contains("closure:    4 packages"), "\(info.output)")
        #expect(info.output.contains("(not realized)"))
        let search = try fixture.devenv("search", "--debian", "--suite", "testing", "lib")
        #expect(
            search.output.split(separator: "\n").map { $0.split(separator: " ")[0] } == [
                "debian:testing/libc6", "debian:testing/libgreet1", "debian:testing/libword1",
            ])
        let json = try fixture.devenv("search", "--debian", "--suite", "testing", "--json", "hello")
        #expect(json.output.contains("\"request\":\"debian:testing/hello\""), "\(json.output)")
        let missing = try fixture.devenv("info", "debian:testing/nothing")
        #expect(missing.status != 0 && missing.stderr.contains("Debian's testing has no package nothing for amd64"))
    }

    @Test func badArchivesAreRefusedAndNothingIsStored() throws {
        // An index signed by a key nobody trusts.
        let untrusted = try Fixture(trusted: false)
        try untrusted.project(["debian:testing/hello"])
        let refused = try untrusted.devenv("lock", "-C", untrusted.dir("proj"))
        #expect(refused.status != 0 && refused.stderr.contains("not a trusted key"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: untrusted.dir("proj/devenv.lock")))
        #expect(try untrusted.outputs(untrusted.devenv).isEmpty)

        // A dependency nothing provides; a .deb whose data climbs out of its directory.
        let tar = try TemporaryDirectory("evil-tar")
        try tar.sh("set -e; mkdir -p x/y; echo bad > x/escaped; cd x/y; tar -cPf ../../evil.tar ../escaped")
        let fixture = try Fixture(extra: [
            DebianRepository.Package("broken", "1.0-1", fields: ["Depends": "hello, missing-lib (>= 2)"]),
            DebianRepository.Package("evil", "1.0-1", dataTar: tar("evil.tar")),
        ])
        try fixture.project(["debian:testing/broken"])
        let unsatisfiable = try fixture.devenv("lock", "-C", fixture.dir("proj"))
        #expect(unsatisfiable.status != 0)
        #expect(unsatisfiable.stderr.contains("missing-lib"), "\(unsatisfiable.stderr)")
        #expect(unsatisfiable.stderr.contains("broken"), "\(unsatisfiable.stderr)")

        try fixture.project(["debian:testing/evil"])
        let evil = try fixture.devenv("lock", "-C", fixture.dir("proj"))
        #expect(evil.status != 0 && evil.stderr.contains("escaped"), "\(evil.stderr)")
        #expect(try fixture.outputs(fixture.devenv).isEmpty, "\(evil.stderr)")

        // A .deb that is not the one the index lists.
        try fixture.dir.sh("echo tampered >> mirror/pool/main/hello_1.0-1_amd64.deb")
        try fixture.project(["debian:testing/hello"])
        let tampered = try fixture.devenv("lock", "-C", fixture.dir("proj"))
        #expect(tampered.status != 0 && tampered.stderr.contains("hash mismatch"), "\(tampered.stderr)")
        #expect(try fixture.outputs(fixture.devenv).allSatisfy { !$0.contains("-hello-") })
        #expect(!FileManager.default.fileExists(atPath: fixture.dir("proj/devenv.lock")))
    }
}
