import DevenvBasics
import DevenvBuild
import DevenvFetch
import DevenvPackages
import DevenvStore
import Foundation
import TestSupport
import Testing

/// Debian's real archive: trixie's signed index, closures resolved, relocated and run where the
/// host's files are not. They need the network, so they run only with DEVENV_NETWORK_TESTS=1.
/// `DEVENV_DEBIAN_TEST_HOME` keeps the index and the store between runs.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["DEVENV_NETWORK_TESTS"] == "1"), .serialized)
struct DebianNetworkTests {
    final class Trixie: @unchecked Sendable {
        let dir: TemporaryDirectory
        let home: String
        let store: Store
        let binaries: [DebianBinary]
        let resolver: DebianResolver

        init() throws {
            dir = try TemporaryDirectory("debian-net")
            home = ProcessInfo.processInfo.environment["DEVENV_DEBIAN_TEST_HOME"] ?? dir("home")
            store = try Store(location: StoreLocation(home: home))
            let archive = DebianArchive(fetcher: URLFetcher(store: store), home: home)
            let release = try archive.release("trixie")
            binaries = try archive.packages("trixie", release: release, architecture: "amd64")
            resolver = DebianResolver(binaries, suite: "trixie")
        }

        /// Realizes the output that has `package` (its closure's outputs first).
        func realize(_ packages: [String]) throws -> DebianOutputs {
            let closure = try resolver.closure(packages)
            let outputs = try DebianOutputs(
                closure: closure, resolver: resolver, mirror: DebianArchive.defaultMirror, system: "x86_64-linux")
            _ = try Realizer(store: store, settings: BuildSettings(jobs: 2), progress: RecordingProgress())
                .realize(packages.map { outputs.derivation(of: $0)! })
            return outputs
        }

        func path(_ outputs: DebianOutputs, _ package: String) throws -> String {
            store.directory.fullPath(of: try outputs.derivation(of: package)!.outputPath(in: store.directory))
        }

        /// Runs `program` with `arguments` where only the store exists (no /usr, /lib*, /bin, /etc).
        func runIsolated(_ program: String, _ arguments: [String], input: String? = nil) throws -> CommandResult {
            let bwrap = try #require(Sandbox.bwrap())
            return try runCommand(
                bwrap,
                [
                    "--tmpfs", "/tmp", "--bind", store.directory.path, store.directory.path, "--proc", "/proc", "--dev",
                    "/dev", "--", program,
                ]
                    + arguments, input: input.map { Data($0.utf8) }, environment: [:])
        }
    }

    @Test func jqRunsFromTheStore() throws {
        let trixie = try Trixie()
        let outputs = try trixie.realize(["jq"])
        let jq = try trixie.path(outputs, "jq") + "/usr/bin/jq"
        let result = try trixie.runIsolated(jq, [".a"], input: "{\"a\": 1}")
        #expect(result.status == 0 && result.output == "1", "\(result.stderr)")
    }

    @Test func pythonRunsFromTheStoreWithItsStandardLibrary() throws {
        let trixie = try Trixie()
        let outputs = try trixie.realize(["python3.13"])
        let python = try trixie.path(outputs, "python3.13") + "/usr/bin/python3.13"
        let result = try trixie.runIsolated(
            python,
            [
                "-c",
                "import ssl, sqlite3, ctypes, zlib, lzma, bz2, readline, sys; ssl.create_default_context(); print(sys.prefix)",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output == (try trixie.path(outputs, "python3.13")) + "/usr")
    }

    @Test func namedPackagesOfTheSetRunFromTheStore() throws {
        let trixie = try Trixie()
        let source = DebianSource(store: trixie.store)
        func realize(_ name: String) throws -> String {
            let reference = try #require(try PackageSet.builtin.recipe(name).debian)
            let derivation = try source.resolve(reference.package, suite: reference.suite, system: "x86_64-linux")
                .derivation
            let paths = try Realizer(
                store: trixie.store, settings: BuildSettings(jobs: 2), progress: RecordingProgress()
            )
            .realize([derivation])
            return trixie.store.directory.fullPath(of: paths[0])
        }
        let python = try realize("python313")
        let imports = try trixie.runIsolated(
            python + "/usr/bin/python3",
            ["-c", "import ssl, sqlite3, ctypes, zlib, lzma, bz2; ssl.create_default_context()"])
        #expect(imports.status == 0, "\(imports.stderr)")
        let git = try realize("git")
        let script = """
            set -e; cd /tmp; \(git)/usr/bin/git init -q repo; cd repo
            \(git)/usr/bin/git -c user.name=t -c user.email=t@e commit -q --allow-empty -m one
            \(git)/usr/bin/git log --format=%s
            """
        let dash = try source.resolve("dash", suite: "trixie", system: "x86_64-linux").derivation
        let shell = trixie.store.directory.fullPath(
            of: try Realizer(store: trixie.store, settings: BuildSettings(jobs: 2), progress: RecordingProgress())
                .realize([dash])[0])
        let committed = try trixie.runIsolated(
            shell + "/usr/bin/dash", ["-c", script])
        #expect(committed.status == 0 && committed.output == "one", "\(committed.stderr)")
    }
}
