import DevenvBuild
import Foundation
import TestSupport
import Testing

/// ELF files read and rewritten as the loader, readelf and patchelf see them: programs built with
/// the host's C compiler, given a loader and libraries at other paths, then run.
struct ElfFileTests {
    /// `bin/hello` needs `libgreet.so.1` (in `greet/`), which needs `libword.so` (in `word/`);
    /// `loader/…/ld.so` is a copy of the host's dynamic loader under a long path.
    final class Programs: @unchecked Sendable {
        let dir: TemporaryDirectory
        let loader: String

        init(helloFlags: String = "") throws {
            dir = try TemporaryDirectory("elf")
            let long = "loader/" + String(repeating: "a-directory-with-a-long-name/", count: 3)
            try dir.sh(
                """
                set -e
                mkdir -p bin greet word \(long)
                cat > word.c <<'C'
                const char *word(void) { return "world"; }
                C
                cat > greet.c <<'C'
                #include <stdio.h>
                const char *word(void);
                void greet(void) { printf("hello, %s\\n", word()); }
                C
                cat > hello.c <<'C'
                void greet(void);
                int main(void) { greet(); return 0; }
                C
                cc -shared -fPIC -o word/libword.so word.c
                cc -shared -fPIC -Wl,-soname,libgreet.so.1 -o greet/libgreet.so.1 greet.c -Lword -lword
                cc -o bin/hello hello.c greet/libgreet.so.1 -Wl,-rpath-link,word \(helloFlags)
                cp "$(readlink -f "$(readelf -lW /bin/sh | sed -n 's/.*interpreter: \\(.*\\)]/\\1/p')")" \(long)ld.so
                """)
            loader = dir(long + "ld.so")
        }

        /// Runs `bin/hello` with nothing in the environment: status and output.
        func run() throws -> CommandResult { try runCommand(dir("bin/hello"), [], environment: [:]) }

        func patchelf(_ flag: String, _ file: String) throws -> String {
            let result = try runCommand("/usr/bin/patchelf", [flag, dir(file)])
            #expect(result.status == 0, "\(result.stderr)")
            return result.output
        }

        /// What readelf says about the file's headers: it must say nothing on stderr.
        func readelf(_ file: String) throws -> String {
            let result = try runCommand("/usr/bin/readelf", ["-lSdW", dir(file)])
            #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
            return result.output
        }
    }

    @Test func aProgramRunsWithAnotherLoaderAndLibrariesFoundByRunpath() throws {
        let programs = try Programs()
        let hello = try #require(try ElfFile.read(programs.dir("bin/hello")))
        #expect(hello.needed == ["libgreet.so.1", "libc.so.6"])
        #expect(hello.runpath == nil && hello.isDynamic)
        #expect(try programs.patchelf("--print-interpreter", "bin/hello") == hello.interpreter)
        // Without a run path the libraries are not found.
        #expect(try programs.run().status != 0)

        try hello.rewrite(interpreter: programs.loader, runpath: programs.dir("greet"))
        let greet = try #require(try ElfFile.read(programs.dir("greet/libgreet.so.1")))
        #expect(
            greet.soname == "libgreet.so.1" && greet.interpreter == nil && greet.needed == ["libword.so", "libc.so.6"])
        try greet.rewrite(interpreter: programs.loader, runpath: programs.dir("word") + ":$ORIGIN")

        let result = try programs.run()
        #expect(result.status == 0 && result.output == "hello, world", "\(result.stderr)")
        let again = try #require(try ElfFile.read(programs.dir("bin/hello")))
        #expect(again.interpreter == programs.loader && again.runpath == [programs.dir("greet")])
        #expect(again.needed == hello.needed)
        #expect(try programs.patchelf("--print-interpreter", "bin/hello") == programs.loader)
        #expect(try programs.patchelf("--print-rpath", "bin/hello") == programs.dir("greet"))
        #expect(try programs.patchelf("--print-rpath", "greet/libgreet.so.1") == programs.dir("word") + ":$ORIGIN")
        #expect(try programs.patchelf("--print-needed", "bin/hello") == "libgreet.so.1\nlibc.so.6")
        #expect(try programs.readelf("bin/hello").contains("(RUNPATH)"))
        #expect(
            try programs.readelf("greet/libgreet.so.1").contains("Library runpath: [\(programs.dir("word")):$ORIGIN]"))

        // Rewriting again (a longer run path) moves the table once more and still runs.
        try again.rewrite(interpreter: nil, runpath: programs.dir("greet") + ":" + programs.dir("bin"))
        #expect(try programs.run().output == "hello, world")
        #expect(try ElfFile.read(programs.dir("bin/hello"))?.runpath == [programs.dir("greet"), programs.dir("bin")])
    }

    @Test func anRpathBecomesARunpathAndAShortInterpreterStaysInPlace() throws {
        let programs = try Programs(helloFlags: "-Wl,--disable-new-dtags,-rpath,/nowhere")
        let hello = try #require(try ElfFile.read(programs.dir("bin/hello")))
        #expect(hello.runpath == ["/nowhere"])
        #expect(try programs.readelf("bin/hello").contains("(RPATH)"))
        let size = try FileManager.default.attributesOfItem(atPath: programs.dir("bin/hello"))[.size] as? Int
        let short = programs.dir("l")
        try programs.dir.sh("cp '\(programs.loader)' l")
        try hello.rewrite(interpreter: short, runpath: programs.dir("greet"))
        try #require(try ElfFile.read(programs.dir("greet/libgreet.so.1")))
            .rewrite(interpreter: nil, runpath: programs.dir("word"))
        #expect(try programs.run().output == "hello, world")
        let readelf = try programs.readelf("bin/hello")
        #expect(readelf.contains("(RUNPATH)") && !readelf.contains("(RPATH)"))
        #expect(try programs.patchelf("--print-interpreter", "bin/hello") == short)
        // Only the string table moved: the file grew by one page at most plus that table.
        let grown = try FileManager.default.attributesOfItem(atPath: programs.dir("bin/hello"))[.size] as? Int
        #expect(try #require(grown) - (try #require(size)) < 8192)
    }

    @Test func whatIsNotA64BitElfFileIsNoneAndABrokenOneIsAnError() throws {
        let dir = try TemporaryDirectory("elf")
        try dir.sh(
            """
            printf '#!/bin/sh\\n' > script
            printf '\\177ELF\\001\\001\\001' > elf32 && head -c 100 /dev/zero >> elf32
            head -c 100 /bin/sh > truncated
            """)
        #expect(try ElfFile.read(dir("script")) == nil)
        #expect(try ElfFile.read(dir("elf32")) == nil)
        #expect(throws: BuildError.self) { try ElfFile.read(dir("truncated")) }
    }

    @Test func hostileOffsetsAreRefused() throws {
        let programs = try Programs()
        let path = programs.dir("bin/hello")
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerOffset = Int(original[32]) | Int(original[33]) << 8
        // Each program header's offset, then its file size, pointed far outside the file.
        for field in [8, 32] {
            for index in 0..<Int(original[56]) {
                var bytes = original
                let at = headerOffset + index * 56 + field
                bytes.replaceSubrange(at..<(at + 8), with: [UInt8](repeating: 0x7f, count: 8))
                try bytes.write(to: URL(fileURLWithPath: path))
                let type = bytes[headerOffset + index * 56]
                // Types whose contents are read: PT_INTERP, PT_DYNAMIC.
                if type == 3 || type == 2 {
                    #expect(throws: BuildError.self) { try ElfFile.read(path) }
                } else {
                    _ = try? ElfFile.read(path)
                }
            }
        }
    }

    /// Offsets, addresses and sizes near 2^64 (a segment's end, or its page rounded up, would
    /// overflow) are refused when read, whatever the program header.
    @Test func segmentsBeyondAnyAddressSpaceAreRefused() throws {
        let programs = try Programs()
        let path = programs.dir("bin/hello")
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerOffset = Int(original[32]) | Int(original[33]) << 8
        for field in [8, 16, 32, 40] {
            for value in [UInt64.max, 0xFFFF_FFFF_FFFF_F000] {
                for index in 0..<Int(original[56]) {
                    var bytes = original
                    let at = headerOffset + index * 56 + field
                    bytes.replaceSubrange(at..<(at + 8), with: withUnsafeBytes(of: value.littleEndian, Array.init))
                    try bytes.write(to: URL(fileURLWithPath: path))
                    #expect(throws: BuildError.self) {
                        try ElfFile.read(path)?.rewrite(interpreter: "/lib/ld.so", runpath: "/lib")
                    }
                }
            }
        }
    }

    @Test func withoutAFreeProgramHeaderNothingIsWritten() throws {
        let programs = try Programs()
        let path = programs.dir("bin/hello")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerOffset = Int(bytes[32]) | Int(bytes[33]) << 8
        for index in 0..<Int(bytes[56]) where bytes[headerOffset + index * 56] == 4 {
            bytes[headerOffset + index * 56] = 7  // PT_TLS: not free
        }
        try bytes.write(to: URL(fileURLWithPath: path))
        let hello = try #require(try ElfFile.read(path))
        #expect(throws: BuildError.self) { try hello.rewrite(interpreter: programs.loader, runpath: "/lib") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }
}
