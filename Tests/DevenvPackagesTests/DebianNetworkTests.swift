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
            _ = try store.realizedPaths(of: packages.map { outputs.derivation(of: $0)! })
            return outputs
        }

        func path(_ outputs: DebianOutputs, _ package: String) throws -> String {
            store.directory.fullPath(of: try outputs.derivation(of: package)!.outputPath(in: store.directory))
        }
    }

    @Test func jqRunsFromTheStore() throws {
        let trixie = try Trixie()
        let outputs = try trixie.realize(["jq"])
        let jq = try trixie.path(outputs, "jq") + "/usr/bin/jq"
        let result = try trixie.store.runIsolated(jq, [".a"], input: "{\"a\": 1}")
        #expect(result.status == 0 && result.output == "1", "\(result.stderr)")
    }

    @Test func pythonRunsFromTheStoreWithItsStandardLibrary() throws {
        let trixie = try Trixie()
        let outputs = try trixie.realize(["python3.13"])
        let python = try trixie.path(outputs, "python3.13") + "/usr/bin/python3.13"
        let result = try trixie.store.runIsolated(
            python,
            [
                "-c",
                "import ssl, sqlite3, ctypes, zlib, lzma, bz2, readline, sys; ssl.create_default_context(); print(sys.prefix)",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output == (try trixie.path(outputs, "python3.13")) + "/usr")
    }

    /// The set's Debian names, each realized as a project locks it and run (through the store's
    /// dash) with only its own PATH and variables, where only the store exists.
    final class NamedPackages: @unchecked Sendable {
        let dir: TemporaryDirectory
        let store: Store
        let source: DebianSource
        let dash: String
        let passwd: String

        /// One for all the tests, so that each suite's index is read once.
        static let shared = Result { try NamedPackages() }

        private init() throws {
            dir = try TemporaryDirectory("debian-named")
            store = try Store(
                location: StoreLocation(
                    home: ProcessInfo.processInfo.environment["DEVENV_DEBIAN_TEST_HOME"] ?? dir("home")))
            source = DebianSource(store: store)
            passwd = dir("passwd")
            try "tester:x:1000:1000::/tmp:/bin/sh\n".write(toFile: passwd, atomically: true, encoding: .utf8)
            dash =
                try store.realizedPaths(of: [source.resolve("dash", suite: "trixie", system: "x86_64-linux").derivation]
                )[0]
                + "/usr/bin/dash"
        }

        /// Runs `script` with the named packages' programs on PATH and their variables set; with
        /// `binSh`, the store's dash is `/bin/sh` (what glibc's `system` and `popen` run).
        /// With `user`, the script runs as an unprivileged user (postgres refuses root, and looks
        /// its user up in /etc/passwd).
        /// With `certificates`, the host's CA certificates are there (`/etc/ssl`: the host's
        /// configuration, as `/etc` is for every program here).
        func run(
            _ names: [String], binSh: Bool = false, user: Bool = false, certificates: Bool = false, _ script: String
        )
            throws -> CommandResult
        {
            var path: [String] = []
            var variables: [String] = []
            for name in names {
                let recipe = try PackageSet.builtin.recipe(name)
                // As locking resolves it: the set's recipe, its Debian packages from the suite's index.
                let derivation = try PackageSet.builtin.derivation(name, system: "x86_64-linux") { recipe in
                    try self.source.resolve(recipe, system: "x86_64-linux").derivation
                }
                let output = try store.realizedPaths(of: [derivation])[0]
                path += derivation.searchPath(at: output)
                variables += recipe.environment.sorted { $0.key < $1.key }.map {
                    "export \($0.key)='\($0.value.replacingOccurrences(of: "$out", with: output))'"
                }
            }
            let prelude =
                (["export PATH=\(path.joined(separator: ":"))", "export HOME=/tmp", "set -e", "cd /tmp"]
                + variables).joined(separator: "\n")
            return try store.runIsolated(
                dash, ["-c", prelude + "\n" + script],
                binding: (binSh ? ["--ro-bind", dash, "/bin/sh"] : [])
                    + (user
                        ? ["--unshare-user", "--uid", "1000", "--gid", "1000", "--ro-bind", passwd, "/etc/passwd"] : [])
                    + (certificates ? ["--ro-bind", "/etc/ssl", "/etc/ssl"] : [])
            )
        }
    }

    @Test(
        arguments: [
            ("bat", "bat --version", "bat 0.25"), ("cargo", "cargo --version", "cargo 1.85"),
            ("cowsay", "cowsay moo", "< moo >"), ("curl", "curl --version", "curl 8.14"),
            ("delve", "dlv version", "Delve Debugger"), ("docker-compose", "docker-compose version", "2.26"),
            (
                // The default formatter and a YAML configuration need what Debian only recommends.
                "eslint",
                "printf 'rules:\\n  semi: error\\n' > c.yml && printf 'var x = 1\\n' > x.js && eslint --no-eslintrc -c c.yml x.js || true",
                "Missing semicolon"
            ), ("fzf", "fzf --version", "0.60"),
            ("gcc", "gcc --version", "14.2"), ("git", "git --version", "2.47"), ("gnumake", "make --version", "4.4"),
            ("jq", "echo '{\"a\":7}' | jq .a", "7"), ("kubectl", "kubectl version --client", "Client Version"),
            ("neovim", "nvim --headless +'lua io.write(vim.fn.has(\"nvim\"))' +q", "1"),
            ("patchelf", "patchelf --version", "0.18"),
            (
                "python311",
                "python -c 'import ssl, sqlite3, ctypes, venv, zlib, lzma, bz2, readline, sys; ssl.create_default_context(); print(sys.version)'",
                "3.11"
            ),
            (
                "python313",
                "python3.13 -c 'import ssl, sqlite3, ctypes, venv, zlib, lzma, bz2, readline, sys; ssl.create_default_context(); print(sys.version)'",
                "3.13"
            ),
            ("postgresql_15", "postgres --version", "15."), ("postgresql_16", "postgres --version", "16."),
            ("postgresql_17", "postgres --version", "17."),
            ("redis", "redis-server --version", "v=8"), ("valkey", "valkey-server --version", "v=8"),
            ("ripgrep", "rg --version", "ripgrep 14"), ("rustc", "rustc --version", "rustc 1.85"),
            ("sqlite", "sqlite3 :memory: 'select 6*7'", "42"), ("tmux", "tmux -V", "tmux 3"),
            ("typescript", "tsc --version", "Version 4.9"),
        ])
    func namedPackageRunsFromTheStore(name: String, script: String, expected: String) throws {
        let result = try NamedPackages.shared.get().run([name], script)
        #expect(result.status == 0 && result.output.contains(expected), "\(name): \(result.output) \(result.stderr)")
    }

    @Test func tmuxRunsASessionWhereTheHostHasNoLocales() throws {
        // tmux needs a UTF-8 locale; here there is none but the store's C.UTF-8 (and it runs the
        // session's command with /bin/sh).
        let result = try NamedPackages.shared.get().run(
            ["tmux"], binSh: true,
            """
            tmux -S /tmp/t new-session -d -s work 'read line'
            tmux -S /tmp/t list-sessions -F '#{session_name} #{session_windows}'
            tmux -S /tmp/t kill-server
            """)
        #expect(result.status == 0 && result.output == "work 1", "\(result.output) \(result.stderr)")
    }

    @Test func iconvAndGitConvertWhereTheHostHasNoModules() throws {
        // The store's C library looks for iconv modules under the host's /usr, which has none here.
        let result = try NamedPackages.shared.get().run(
            ["libc_bin", "git"],
            """
            printf 'caf\\351 \\244\\n' > latin9
            iconv -f ISO-8859-15 -t UTF-8 latin9
            git init -q repository && cd repository
            git -c user.name=t -c user.email=t@e -c i18n.commitEncoding=ISO-8859-15 commit -q --allow-empty -F ../latin9
            git log --format=%s
            """)
        #expect(result.status == 0 && result.output == "café €\ncafé €", "\(result.output) \(result.stderr)")
    }

    // 16 is PyPI's wheel, relocated onto bookworm's libraries; 17 is Debian's.
    @Test(arguments: ["postgresql_16", "postgresql_17"])
    func postgresqlServesASocketInATemporaryDirectory(package: String) throws {
        // initdb runs postgres through popen, which glibc runs with /bin/sh (Debian's is unpatched).
        let result = try NamedPackages.shared.get().run(
            [package], binSh: true, user: true,
            """
            initdb -D /tmp/data -U postgres >/dev/null
            pg_ctl -D /tmp/data -o "-k /tmp -c listen_addresses=''" -l /tmp/log -w start >/dev/null
            psql -h /tmp -U postgres -tAc 'select 40 + 2'
            pg_ctl -D /tmp/data -m fast -w stop >/dev/null
            """)
        #expect(result.status == 0 && result.output == "42", "\(result.output) \(result.stderr)")
    }

    @Test func redisAnswersPing() throws {
        let result = try NamedPackages.shared.get().run(
            ["redis"],
            """
            redis-server --port 0 --unixsocket /tmp/redis.sock --daemonize yes --dir /tmp
            i=0; until redis-cli -s /tmp/redis.sock ping 2>/dev/null; do i=$((i+1)); [ $i -lt 2000 ]; done
            redis-cli -s /tmp/redis.sock shutdown nosave >/dev/null 2>&1 || true
            """)
        #expect(result.status == 0 && result.output.hasSuffix("PONG"), "\(result.output) \(result.stderr)")
    }

    @Test func rustcAndCargoBuildAndRunHelloOffline() throws {
        let result = try NamedPackages.shared.get().run(
            ["rustc", "cargo"],
            """
            printf 'fn main() { println!("hello from rustc"); }\n' > hello.rs
            rustc -o hello hello.rs && ./hello
            cargo new -q --vcs none greet && cd greet && cargo run -q --offline
            """)
        #expect(
            result.status == 0 && result.output == "hello from rustc\nHello, world!",
            "\(result.output) \(result.stderr)")
    }

    @Test func gccBuildsProgramsThatRunFromTheStore() throws {
        // Where neither the host's headers, libraries nor loader exist: what gcc makes uses the store's.
        let result = try NamedPackages.shared.get().run(
            ["gcc", "gnumake"],
            """
            printf '%s\n' '#include <stdio.h>' '#include <math.h>' '#include <linux/limits.h>' \
                'int main(void) { printf("%d %d\\n", (int) sqrt(49.0), PATH_MAX > 0); return 0; }' > h.c
            printf 'h: h.c\n\tcc -O2 -o h h.c -lm\n' > Makefile
            make -s && ./h
            c99 -o h99 h.c -lm && ./h99
            gcc -static -o hs h.c -lm && ./hs
            printf '%s\n' '#include <iostream>' '#include <vector>' \
                'int main() { std::vector<int> v{1, 2, 3}; std::cout << v.size() << " c++" << std::endl; }' > p.cc
            c++ -O2 -o p p.cc && ./p
            """)
        #expect(
            result.status == 0 && result.output == "7 1\n7 1\n7 1\n3 c++", "\(result.output) \(result.stderr)")
    }

    // Python 3.11's ensurepip needs setuptools' wheel beside pip's.
    @Test(arguments: ["python311", "python313"])
    func pythonMakesAVenvAndPipInstallsALocalWheel(python: String) throws {
        // Debian's pip reads the system's CA certificates even to install a local wheel.
        let result = try NamedPackages.shared.get().run(
            [python], certificates: true,
            """
            python3 -c "import os; os.makedirs('w/hello_pkg')" && printf 'def hi():\n    return "hi from a wheel"\n' > w/hello_pkg/__init__.py
            python3 -m venv /tmp/venv
            /tmp/venv/bin/python -c 'import zipfile; z = zipfile.ZipFile("/tmp/hello_pkg-1.0-py3-none-any.whl", "w"); z.writestr("hello_pkg/__init__.py", open("w/hello_pkg/__init__.py").read()); z.writestr("hello_pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: hello-pkg\\nVersion: 1.0\\n"); z.writestr("hello_pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"); z.writestr("hello_pkg-1.0.dist-info/RECORD", ""); z.close()'
            /tmp/venv/bin/pip install -q --no-index /tmp/hello_pkg-1.0-py3-none-any.whl
            /tmp/venv/bin/python -c 'import hello_pkg; print(hello_pkg.hi())'
            """)
        #expect(result.status == 0 && result.output.hasSuffix("hi from a wheel"), "\(result.output) \(result.stderr)")
    }

    @Test func gitClonesALocalRepositoryAndCommits() throws {
        // git runs git-upload-pack through /bin/sh.
        let result = try NamedPackages.shared.get().run(
            ["git"], binSh: true,
            """
            git init -q origin && cd origin
            git -c user.name=t -c user.email=t@e commit -q --allow-empty -m one && cd ..
            git clone -q origin copy && cd copy
            git -c user.name=t -c user.email=t@e commit -q --allow-empty -m two
            git log --format=%s
            """)
        #expect(result.status == 0 && result.output == "two\none", "\(result.output) \(result.stderr)")
    }
}
