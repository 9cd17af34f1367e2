import DevenvBasics
import DevenvBuild
import DevenvFetch
import DevenvStore
import Foundation
import TestSupport
import Testing

/// Debian packages made by the tests, relocated into the store and run where the host's `/usr`,
/// `/lib*`, `/bin` and `/etc` do not exist.
struct RelocationTests {
    /// `.deb`s laid out as Debian's (`DebianPrograms`), served by a loopback server.
    final class Packages: @unchecked Sendable {
        let dir: TemporaryDirectory
        let store: Store
        let server: HTTPServer
        let triplet: String
        let loaderName: String

        /// `extra`: more packages for the repository, made from the triplet and the loader's name.
        init(extra: (_ triplet: String, _ loaderName: String) -> [DebianRepository.Package] = { _, _ in [] }) throws {
            dir = try TemporaryDirectory("relocation")
            try dir.sh("mkdir -p mirror home")
            let programs = try DebianPrograms(building: dir)
            (triplet, loaderName) = (programs.triplet, programs.loaderName)
            try DebianRepository(root: dir("mirror")).build(
                programs.packages + extra(triplet, loaderName), sign: false)
            store = try Store(location: StoreLocation(home: dir("home")))
            server = try HTTPServer(root: dir("mirror"))
        }

        /// The relocated output of `name` from its .deb, on the derivations of `dependencies`.
        func derivation(
            _ name: String, _ version: String, dependencies: [Derivation] = [], links: [String: String] = [:]
        ) throws -> Derivation {
            let pool = "pool/main/\(name)_\(version)_amd64.deb"
            return Derivation(
                name: name, version: version, system: CurrentSystem.name,
                sources: [
                    Derivation.Source(
                        url: server.url(pool),
                        hash: try FileTree.hashContents(of: dir("mirror/" + pool), algorithm: .sha256))
                ], dependencies: dependencies, paths: ["usr/bin"], relocation: Derivation.currentRelocation,
                links: links)
        }

        func path(of derivation: Derivation) throws -> String {
            try store.directory.fullPath(of: derivation.outputPath(in: store.directory))
        }
    }

    @Test func debianPackagesRunFromTheStoreWithoutTheHostsFiles() throws {
        let packages = try Packages()
        let libc = try packages.derivation("libc6", "2.0-1")
        let word = try packages.derivation("libword1", "1.0-1", dependencies: [libc])
        let greet = try packages.derivation("libgreet1", "1.0-1", dependencies: [word, libc])
        let hello = try packages.derivation("hello", "1.0-1", dependencies: [greet, libc])
        let out = try packages.store.realizedPaths(of: [hello])[0]
        let libcOut = try packages.store.directory.fullPath(of: libc.outputPath(in: packages.store.directory))
        let greetOut = try packages.store.directory.fullPath(of: greet.outputPath(in: packages.store.directory))
        let lib = "usr/lib/\(packages.triplet)"

        // The loader is the real file behind the package's link; the run path has only what is needed.
        let program = try #require(try ElfFile.read(out + "/usr/bin/hello"))
        #expect(program.interpreter == "\(libcOut)/lib/\(packages.triplet)/\(packages.loaderName)")
        #expect(program.runpath == ["\(greetOut)/\(lib)", "\(libcOut)/lib/\(packages.triplet)"])
        let result = try packages.store.runIsolated(out + "/usr/bin/hello")
        #expect(result.status == 0 && result.output == "hello, world", "\(result.stderr)")
        #expect(try packages.store.runIsolated(out + "/usr/bin/hi").output == "hello, world")

        // `#!` lines name the store's interpreter; what no package has stays as it was.
        #expect(
            try packages.store.runIsolated(out + "/usr/bin/args-script", ["a"]).output
                == "[-x][\(out)/usr/bin/args-script][a]")
        #expect(try packages.store.runIsolated(out + "/usr/bin/env-script").output == "[\(out)/usr/bin/env-script]")
        // A Perl script finds the packages' modules first (version directories, not their links).
        let wordOut = try packages.store.directory.fullPath(of: word.outputPath(in: packages.store.directory))
        #expect(
            try String(contentsOfFile: out + "/usr/bin/perl-script", encoding: .utf8)
                == "#!\(out)/usr/bin/perl -w\nBEGIN { unshift @INC, '\(wordOut)/\(lib)/perl5/5.36', '\(wordOut)/usr/share/perl5' }\nprint 1;\n"
        )
        #expect(
            try packages.store.runIsolated(out + "/usr/bin/perl-script").output == "[-w][\(out)/usr/bin/perl-script]")
        #expect(try String(contentsOfFile: out + "/usr/bin/sh-script", encoding: .utf8).hasPrefix("#!/bin/sh\n"))
        #expect(
            try String(contentsOfFile: out + "/usr/share/hello/not-executable", encoding: .utf8)
                == "#!/usr/bin/print-args\n")

        // Links: into another output by its store path, inside this one as they were, to the
        // host's configuration kept, to nothing removed.
        func link(_ path: String) -> String? {
            try? FileManager.default.destinationOfSymbolicLink(atPath: out + "/" + path)
        }
        #expect(link("usr/bin/hi") == "hello")
        #expect(link("usr/bin/greeting-library") == "\(greetOut)/\(lib)/libgreet.so.1")
        #expect(link("usr/share/hello/config") == "/etc/hello.conf")
        #expect(link("usr/share/hello/gone") == nil)
        #expect(link("usr/share/hello/up") == "\(out)/usr/bin/hello")
        let greetLink = try FileManager.default.destinationOfSymbolicLink(atPath: greetOut + "/\(lib)/libgreet.so")
        #expect(greetLink == "\(greetOut)/\(lib)/libgreet.so.1")

        // What a package depends on is named, so that it is in every closure of it.
        #expect(
            Set(
                try String(contentsOfFile: out + "/nix-support/runtime-dependencies", encoding: .utf8)
                    .split(separator: "\n").map(String.init)) == [greetOut, libcOut])

        // The outputs reference exactly the outputs they use.
        let references = try packages.store.pathInfo(StorePath(baseName: (out as NSString).lastPathComponent))?
            .references
        #expect(
            references?.map(\.name).sorted() == ["hello-1.0-1", "libc6-2.0-1", "libgreet1-1.0-1", "libword1-1.0-1"])
    }

    @Test func aLibraryThatNoPackageHasFailsTheBuildAndNothingIsKept() throws {
        let packages = try Packages()
        let libc = try packages.derivation("libc6", "2.0-1")
        // libgreet1 without libword1: the audit names the file and the library.
        let greet = try packages.derivation("libgreet1", "1.0-1", dependencies: [libc])
        let error = #expect(throws: BuildError.self) { try packages.store.realizedPaths(of: [greet])[0] }
        #expect(
            error?.description
                == "relocation of libgreet1-1.0-1 failed: usr/lib/\(packages.triplet)/libgreet.so.1 needs libword.so.1, which no package of its closure has"
        )
        #expect(try packages.store.isValid(greet.outputPath(in: packages.store.directory)) == false)
        // Without the C library there is no loader for the program either.
        let hello = try packages.derivation("hello", "1.0-1")
        let helloError = #expect(throws: BuildError.self) { try packages.store.realizedPaths(of: [hello])[0] }
        #expect(helloError?.description.contains("usr/bin/hello needs the loader /lib64/") == true)
    }

    @Test func aCompilersSearchPathsLinkerScriptsAndLinksPointIntoTheStore() throws {
        let packages = try Packages { triplet, loader in
            let lib = "usr/lib/\(triplet)"
            return [
                DebianRepository.Package(
                    "linux-libc-dev", "6.0-1",
                    files: [
                        "usr/include/linux/types.h": ("\n", false), "usr/include/\(triplet)/asm/types.h": ("\n", false),
                    ]),
                DebianRepository.Package(
                    "libc6-dev", "2.0-1", fields: ["Depends": "libc6, linux-libc-dev"],
                    files: [
                        "usr/include/stdio.h": ("\n", false), "\(lib)/libc_nonshared.a": ("!<arch>\n", false),
                        "usr/share/python-wheels/pip-1.0-py3-none-any.whl": ("\n", false),
                        // Static libraries can be scripts too.
                        "\(lib)/libm-2.0.a": ("!<arch>\n", false),
                        "\(lib)/libm.a": ("/* GNU ld script */\nGROUP ( /usr/lib/\(triplet)/libm-2.0.a )\n", false),
                        "\(lib)/libc.so": (
                            "/* GNU ld script\n   Use the shared library. */\nOUTPUT_FORMAT(elf64-x86-64)\n"
                                + "GROUP ( /lib/\(triplet)/libc.so.6 /usr/lib/\(triplet)/libc_nonshared.a  AS_NEEDED ( /lib64/\(loader) ) )\n",
                            false
                        ),
                    ]),
                DebianRepository.Package(
                    "setuptools-whl", "1.0-1",
                    files: [
                        "usr/share/python-wheels/setuptools-1.0-py3-none-any.whl": ("\n", false),
                        "usr/share/python-wheels/README": ("\n", false),
                    ]),
                DebianRepository.Package(
                    "gcc-14", "14.2-1", fields: ["Depends": "libc6"],
                    files: [
                        "usr/bin/gcc-14": ("driver\n", false), "usr/bin/ld": ("linker\n", false),
                        // Python's build configuration, where ensurepip finds pip's wheel.
                        "usr/lib/python3.13/_sysconfigdata__linux_\(triplet).py": (
                            "build_time_vars = {\n    'WHEEL_PKG_DIR': '/usr/share/python-wheels/',\n}\n", false
                        ),
                        "usr/libexec/gcc/\(triplet)/14/cc1": ("cc1\n", false),
                        "usr/lib/gcc/\(triplet)/14/crtbegin.o": ("\n", false),
                        // Another version's files without its compiler: no specs.
                        "usr/lib/gcc/\(triplet)/13/crtbegin.o": ("\n", false),
                    ]),
            ]
        }
        let (triplet, loader) = (packages.triplet, packages.loaderName)
        let libc = try packages.derivation("libc6", "2.0-1")
        let linux = try packages.derivation("linux-libc-dev", "6.0-1")
        let dev = try packages.derivation("libc6-dev", "2.0-1", dependencies: [libc, linux])
        // Links as Debian's alternatives make them; one named like its target is the dependency's
        // file. (Relocation sees the direct dependencies and what their outputs reference: Debian's
        // gcc has the kernel's headers as a dependency of its own, merged with glibc's output.)
        let setuptools = try packages.derivation("setuptools-whl", "1.0-1")
        let gcc = try packages.derivation(
            "gcc-14", "14.2-1", dependencies: [dev, libc, linux, setuptools],
            links: [
                "usr/bin/cc": "/usr/bin/gcc-14",
                // The package has this one itself: it stays as the package made it.
                "usr/bin/ld": "/usr/bin/gcc-14",
                "usr/lib/\(triplet)/libc_nonshared.a": "/usr/lib/\(triplet)/libc_nonshared.a",
            ])
        let out = try packages.store.realizedPaths(of: [gcc])[0]
        let (libcOut, linuxOut, devOut) = (
            try packages.path(of: libc), try packages.path(of: linux), try packages.path(of: dev)
        )

        #expect(
            try String(contentsOfFile: devOut + "/usr/lib/\(triplet)/libc.so", encoding: .utf8)
                == "/* GNU ld script\n   Use the shared library. */\nOUTPUT_FORMAT(elf64-x86-64)\n"
                + "GROUP ( \(libcOut)/lib/\(triplet)/libc.so.6 \(devOut)/usr/lib/\(triplet)/libc_nonshared.a  AS_NEEDED ( \(libcOut)/lib/\(triplet)/\(loader) ) )\n"
        )
        #expect(
            try String(contentsOfFile: devOut + "/usr/lib/\(triplet)/libm.a", encoding: .utf8)
                == "/* GNU ld script */\nGROUP ( \(devOut)/usr/lib/\(triplet)/libm-2.0.a )\n")
        #expect(
            try String(contentsOfFile: out + "/usr/lib/gcc/\(triplet)/14/specs", encoding: .utf8) == """
                *libgcc:
                %{static|static-libgcc|static-pie:-lgcc -lgcc_eh}%{!static:%{!static-libgcc:%{!static-pie:%{!shared-libgcc:-lgcc --push-state --as-needed -lgcc_s --pop-state}%{shared-libgcc:-lgcc_s%{!shared: -lgcc}}}}}

                *self_spec:
                + %{!-sysroot=*:--sysroot=\(devOut)} -B\(out)/usr/bin/

                *cpp:
                + -idirafter \(linuxOut)/usr/include/\(triplet) -idirafter \(linuxOut)/usr/include

                *link:
                + %{!r:--build-id} %{!static|static-pie:--eh-frame-hdr} %{!static:%{!static-pie:%{!shared:-dynamic-linker \(libcOut)/lib/\(triplet)/\(loader)} -rpath \(libcOut)/lib/\(triplet)}}


                """)
        #expect(!FileManager.default.fileExists(atPath: out + "/usr/lib/gcc/\(triplet)/13/specs"))
        // ensurepip finds pip and setuptools in one directory, and Debian packs them apart.
        #expect(
            try String(contentsOfFile: out + "/usr/lib/python3.13/_sysconfigdata__linux_\(triplet).py", encoding: .utf8)
                == "build_time_vars = {\n    'WHEEL_PKG_DIR': '\(out)/usr/share/python-wheels/',\n}\n")
        let wheels = out + "/usr/share/python-wheels"
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: wheels).sorted() == [
                "pip-1.0-py3-none-any.whl", "setuptools-1.0-py3-none-any.whl",
            ])
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: wheels + "/pip-1.0-py3-none-any.whl")
                == devOut + "/usr/share/python-wheels/pip-1.0-py3-none-any.whl")
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: wheels + "/setuptools-1.0-py3-none-any.whl")
                == (try packages.path(of: setuptools)) + "/usr/share/python-wheels/setuptools-1.0-py3-none-any.whl")
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: out + "/usr/bin/cc") == out + "/usr/bin/gcc-14")
        #expect(try String(contentsOfFile: out + "/usr/bin/ld", encoding: .utf8) == "linker\n")
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: out + "/usr/lib/\(triplet)/libc_nonshared.a")
                == devOut + "/usr/lib/\(triplet)/libc_nonshared.a")
    }

    @Test func nothingIsWrittenThroughLinksAPackageMade() throws {
        let outside = try TemporaryDirectory("outside")
        try outside.sh("mkdir -p gcc/x86_64-linux-gnu/14 gcc/aarch64-linux-gnu/14 support")
        let packages = try Packages { triplet, _ in
            [
                // GCC's library directory and nix-support are links out of the output, kept because
                // they point into the host's /tmp.
                DebianRepository.Package(
                    "evil-gcc", "1.0-1", files: ["usr/libexec/gcc/\(triplet)/14/cc1": ("cc1\n", false)],
                    links: ["usr/lib/gcc": outside("gcc")]),
                DebianRepository.Package(
                    "evil-support", "1.0-1", fields: ["Depends": "libc6"], files: ["usr/share/x": ("\n", false)],
                    links: ["nix-support": outside("support")]),
            ]
        }
        let libc = try packages.derivation("libc6", "2.0-1")
        let gcc = try packages.derivation("evil-gcc", "1.0-1")
        _ = try packages.store.realizedPaths(of: [gcc])
        let support = try packages.derivation("evil-support", "1.0-1", dependencies: [libc])
        let error = #expect(throws: BuildError.self) { try packages.store.realizedPaths(of: [support]) }
        #expect(error?.description.contains("nix-support is not a directory") == true, "\(String(describing: error))")
        #expect(try outside.sh("find . -type f | wc -l") == "0")
    }
}
