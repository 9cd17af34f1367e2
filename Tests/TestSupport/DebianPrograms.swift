import Foundation

/// Debian packages of real programs, built by the host's compiler, laid out as Debian's: `libc6`
/// (the host's loader and C library), `libword1`, `libgreet1` (needs libword) and `hello` (needs
/// libgreet; with scripts, an interpreter program and links of every kind; `perl`, a stand-in that
/// prints its arguments, with libword1's Perl modules). `hello` prints "hello, world".
public struct DebianPrograms: Sendable {
    public let triplet: String
    public let loaderName: String
    public let packages: [DebianRepository.Package]

    /// Compiles the programs in `dir`'s `c/`.
    public init(building dir: TemporaryDirectory) throws {
        try dir.sh(
            """
            set -e
            mkdir -p c
            cd c
            printf 'const char *word(void) { return "world"; }\\n' > word.c
            printf '#include <stdio.h>\\nconst char *word(void);\\nvoid greet(void) { printf("hello, %%s\\\\n", word()); }\\n' > greet.c
            printf 'void greet(void);\\nint main(void) { greet(); return 0; }\\n' > hello.c
            printf '#include <stdio.h>\\nint main(int c, char **v) { for (int i = 1; i < c; i++) printf("[%%s]", v[i]); puts(""); return 0; }\\n' > args.c
            cc -shared -fPIC -Wl,-soname,libword.so.1 -o libword.so.1 word.c
            cc -shared -fPIC -Wl,-soname,libgreet.so.1 -o libgreet.so.1 greet.c libword.so.1
            cc -o hello hello.c libgreet.so.1 -Wl,-rpath-link,.
            cc -o print-args args.c
            loader="$(readelf -lW hello | sed -n 's/.*interpreter: \\(.*\\)]/\\1/p')"
            cp "$(readlink -f "$loader")" loader && basename "$loader" > loader-name
            cp "$(readlink -f "$(ldd hello | sed -n 's/.*libc.so.6 => \\([^ ]*\\) .*/\\1/p')")" libc.so.6
            gcc -dumpmachine > triplet
            """)
        triplet = try String(contentsOfFile: dir("c/triplet"), encoding: .utf8).trimmingCharacters(in: .newlines)
        loaderName = try String(contentsOfFile: dir("c/loader-name"), encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        let lib = "usr/lib/\(triplet)"
        packages = [
            DebianRepository.Package(
                "libc6", "2.0-1",
                // As bookworm's: under /lib, not /usr/lib (where the other packages' libraries are), and
                // an absolute link, relocated before the C library's own loader is looked up.
                copies: [
                    "lib/\(triplet)/\(loaderName)": dir("c/loader"), "lib/\(triplet)/libc.so.6": dir("c/libc.so.6"),
                ],
                links: ["lib64/\(loaderName)": "/lib/\(triplet)/\(loaderName)"]),
            DebianRepository.Package(
                "libword1", "1.0-1", fields: ["Depends": "libc6"],
                files: [
                    "usr/share/perl5/Word.pm": ("1;\n", false), "\(lib)/perl5/5.36/Word/XS.pm": ("1;\n", false),
                    // A version directory whose name would break Perl's quoting: never written into a script.
                    "usr/share/perl/5.0\\/X.pm": ("1;\n", false),
                ],
                copies: ["\(lib)/libword.so.1": dir("c/libword.so.1")], links: ["\(lib)/perl5/5.36.0": "5.36"]),
            DebianRepository.Package(
                "libgreet1", "1.0-1", fields: ["Depends": "libword1, libc6"],
                copies: ["\(lib)/libgreet.so.1": dir("c/libgreet.so.1")],
                links: ["\(lib)/libgreet.so": "/\(lib)/libgreet.so.1"]),
            DebianRepository.Package(
                "hello", "1.0-1", fields: ["Depends": "libgreet1, libc6"],
                files: [
                    "usr/bin/args-script": ("#!/usr/bin/print-args -x\n", true),
                    "usr/bin/env-script": ("#!/usr/bin/env print-args\n", true),
                    "usr/bin/sh-script": ("#!/bin/sh\necho sh\n", true),
                    "usr/bin/perl-script": ("#!/usr/bin/perl -w\nprint 1;\n", true),
                    "usr/share/hello/not-executable": ("#!/usr/bin/print-args\n", false),
                ],
                copies: [
                    "usr/bin/hello": dir("c/hello"), "usr/bin/print-args": dir("c/print-args"),
                    "usr/bin/perl": dir("c/print-args"),
                ],
                links: [
                    "usr/bin/hi": "hello", "usr/bin/greeting-library": "../lib/\(triplet)/libgreet.so.1",
                    "usr/share/hello/config": "/etc/hello.conf", "usr/share/hello/gone": "/usr/share/nothing",
                    "usr/share/hello/up": "../../../../../../usr/bin/hello",
                ]),
        ]
    }
}
