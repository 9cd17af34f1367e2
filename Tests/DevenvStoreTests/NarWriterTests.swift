import DevenvBasics
import DevenvStore
import Foundation
import TestSupport
import Testing

/// Collects a NAR in memory.
struct BytesSink: NarSink {
    var bytes: [UInt8] = []
    mutating func consume(_ chunk: UnsafeRawBufferPointer) { bytes.append(contentsOf: chunk) }
}

func narBytes(_ path: String) throws -> [UInt8] {
    let writer = NarWriter(sink: BytesSink(), bufferSize: 64)  // small buffer: exercise chunking
    try writer.dump(path)
    #expect(writer.size == UInt64(writer.sink.bytes.count))
    return writer.sink.bytes
}

struct NarWriterTests {
    @Test func everyFixtureTreeDumpsAsNixDumpsIt() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        for name in NixTrees.names {
            let ours = try narBytes(dir(name))
            let fixture = [UInt8](try Data(contentsOf: URL(fileURLWithPath: NixTrees.fixtures + "/\(name).nar")))
            #expect(ours == fixture, "\(name) differs from the fixture")
            #expect(ours == [UInt8](try Nix.dump(dir(name))), "\(name) differs from nix-store --dump")
        }
    }

    @Test func hashesAndSizesMatchTheVectors() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        let expected: [String: (String, UInt64)] = [
            "narA": ("dfea91d9bbee52e8a510e8a43a1f79c068d94647f91c447cf2dbe104843ef55f", 1280),
            "narB": ("5dfbcfb784be839b78794b2b8ee1d7219909f583c65ea7e13e84d568c9dee155", 1272),
            "single.txt": ("1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13", 120),
            "toplink": ("3a2f661cd7f68c99dfbcf9ff2dba34001f2ea2d56cf17159d1522e24ca9838a3", 128),
            "emptydir": ("a50a5ab6d992f5598edd92105059fae9acfc192981e08bd88534c2167e92526a", 96),
            "ex1": ("f07b7b92bd7913e8ade1d804acbc8f938d47641bf65cef93a9472dc74099c3e1", 152),
            "sortdir": ("85034477c264db8de75dbd0d48a2bf43a062b72aed7efd9b44d3859607215ca2", 2016),
        ]
        for (name, (hash, size)) in expected {
            let result = try Nar.hash(of: dir(name))
            #expect(result.hash.base16 == hash, "\(name)")
            #expect(result.size == size, "\(name)")
        }
        #expect(try Nar.hash(of: dir("narA")).hash.sri == "sha256-3+qR2bvuUuilEOikOh95wGjZRkf5HER88tvhBIQ+9V8=")
    }

    @Test func paddingMatchesTheVectors() throws {
        let dir = try TemporaryDirectory()
        let expected = [
            ("", "77ac62e2629d8e45f624589c0c8bf99e24b3a722349bf1e79bc186008534e246", 112),
            ("x", "2ca0b8ce996f865db37619bfe91023559305aad8158042fc6ddb0ef1d43c5b67", 120),
            ("1234567", "fbd2ce48c62423e363f8b56c4edce18ed7ef006a65c74b5f58b1aa23be7afa09", 120),
            ("12345678", "22d63223426447e64aa20d76d506b3e062a2d242bb797536dbf3ee681be3f53c", 120),
            ("123456789", "01e23d2c0a14bfecbb8a82b3f11ca003d7322bcfec14c3a1b57168b445480e41", 128),
        ]
        for (content, hash, size) in expected {
            try dir.sh("rm -f pad.bin; printf '%s' '\(content)' > pad.bin")
            let result = try Nar.hash(of: dir("pad.bin"))
            #expect(result.hash.base16 == hash)
            #expect(result.size == UInt64(size))
        }
    }

    @Test func onlyTheOwnerExecuteBitIsRecorded() throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        try dir.sh(
            """
            cp -a narA narA-meta; touch -d '2001-02-03 04:05:06' narA-meta/hello.txt narA-meta/sub narA-meta
            chmod 600 narA-meta/hello.txt; chmod 700 narA-meta/run.sh narA-meta/sub
            cp -a narA narA-noexec; chmod 654 narA-noexec/run.sh
            """)
        #expect(
            try Nar.hash(of: dir("narA-meta")).hash.base16
                == "dfea91d9bbee52e8a510e8a43a1f79c068d94647f91c447cf2dbe104843ef55f")
        #expect(
            try Nar.hash(of: dir("narA-noexec")).hash.base16
                == "c299554e83d5506951f2fbc8193a736fea7d073d2ec21bb68f22c980d8da4dce")
    }

    @Test func oddNamesAndLinksMatchNix() throws {
        let dir = try TemporaryDirectory()
        try dir.sh(
            """
            mkdir -p odd/nested/deeper/empty
            printf 'a' > odd/B; printf 'b' > odd/a; printf 'c' > odd/_; printf 'd' > odd/Ωmega; printf 'e' > "$(printf 'odd/\\377raw')"
            ln -s ../../B odd/nested/relative
            ln -s /etc/passwd odd/absolute
            ln -s does/not/exist odd/dangling
            printf '' > odd/nested/empty-file
            printf '#!/bin/sh\\n' > odd/nested/deeper/tool; chmod 500 odd/nested/deeper/tool
            """)
        #expect(try narBytes(dir("odd")) == [UInt8](try Nix.dump(dir("odd"))))
        #expect(try Nar.hash(of: dir("odd/dangling")).hash.base16 == (try Nix.narHash(dir("odd/dangling"))))
    }

    @Test func aFileOver100MBHashesAsNixHashesIt() throws {
        let dir = try TemporaryDirectory()
        try dir.sh(
            """
            mkdir big; head -c 3000000 /dev/urandom > big/random
            truncate -s 104857603 big/random; printf 'tail' >> big/random; chmod 755 big/random
            """)
        let ours = try Nar.hash(of: dir("big"))
        #expect(ours.hash.base16 == (try Nix.narHash(dir("big"))))
        #expect(ours.size > 104_857_607)
        for algorithm in [HashAlgorithm.sha1, .sha512, .md5] {
            let result = try runCommand("/usr/bin/nix-hash", ["--type", algorithm.rawValue, dir("big")])
            #expect(try Nar.hash(of: dir("big"), algorithm: algorithm).hash.base16 == result.output)
        }
    }

    @Test func unsupportedFileTypesAreRefusedByName() throws {
        let dir = try TemporaryDirectory()
        try dir.sh("mkdir tree; mkfifo tree/pipe")
        #expect(throws: StoreError("file '\(dir("tree"))/pipe' has an unsupported type")) {
            try Nar.hash(of: dir("tree"))
        }
        #expect(throws: SystemError.self) { try Nar.hash(of: dir("missing")) }
    }
}
