import DevenvStore
import Foundation
import TestSupport
import Testing

/// Builds NARs by hand, token by token, for the malformed cases.
enum NarBuilder {
    static func str(_ bytes: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Array($0) } + bytes
            + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
    }
    static func str(_ text: String) -> [UInt8] { str(Array(text.utf8)) }
    static let header = str("nix-archive-1")
    static func regular(_ contents: String) -> [UInt8] {
        str("(") + str("type") + str("regular") + str("contents") + str(contents) + str(")")
    }
    static func entry(_ name: [UInt8], _ node: [UInt8]) -> [UInt8] {
        str("entry") + str("(") + str("name") + str(name) + str("node") + node + str(")")
    }
    static func directory(_ entries: [UInt8]...) -> [UInt8] {
        str("(") + str("type") + str("directory") + entries.flatMap { $0 } + str(")")
    }
}

func restore(_ nar: [UInt8], to destination: String) throws {
    let file = destination + ".input"
    try Data(nar).write(to: URL(fileURLWithPath: file))
    defer { try? FileManager.default.removeItem(atPath: file) }
    let fd = open(file, O_RDONLY)
    defer { close(fd) }
    try NarReader.restore(from: fd, to: destination)
}

struct NarReaderTests {
    @Test func fixturesRestoreAndDumpAgainIdentically() throws {
        let dir = try TemporaryDirectory()
        for name in NixTrees.names {
            let nar = [UInt8](try Data(contentsOf: URL(fileURLWithPath: NixTrees.fixtures + "/\(name).nar")))
            try restore(nar, to: dir("restored-\(name)"))
            #expect(try narBytes(dir("restored-\(name)")) == nar, "\(name)")
        }
        #expect(FileManager.default.isExecutableFile(atPath: dir("restored-narA/run.sh")))
        #expect(!FileManager.default.isExecutableFile(atPath: dir("restored-narA/hello.txt")))
    }

    @Test func anExistingDestinationIsNeverOverwritten() throws {
        let dir = try TemporaryDirectory()
        try dir.sh("mkdir taken; echo keep > taken/file")
        #expect(throws: StoreError("'\(dir("taken"))' already exists; not overwriting it")) {
            try restore(NarBuilder.header + NarBuilder.regular("x"), to: dir("taken"))
        }
        #expect(try dir.sh("cat taken/file") == "keep")
    }

    typealias B = NarBuilder

    static let malformed: [(String, [UInt8], String)] = [
        ("truncated", Array((B.header + B.regular("hello")).dropLast(12)), "archive is truncated"),
        ("truncated in the length word", Array(B.header.prefix(20)), "archive is truncated"),
        ("empty input", [], "archive is truncated"),
        (
            "non-zero padding",
            {
                var nar = B.header + B.regular("abc")
                nar[nar.count - 16 - 5] = 1
                return nar
            }(), "non-zero padding"
        ),
        ("bad magic", B.str("nix-archive-2") + B.regular("x"), "input doesn't look like a Nix archive"),
        (
            "unknown node type", B.header + B.str("(") + B.str("type") + B.str("fifo") + B.str(")"),
            "expected regular, symlink or directory"
        ),
        (
            "unknown token in a file",
            B.header + B.str("(") + B.str("type") + B.str("regular") + B.str("size") + B.str("x"),
            "expected contents"
        ),
        (
            "unknown token in a directory", B.header + B.str("(") + B.str("type") + B.str("directory") + B.str("entri"),
            "expected entry"
        ),
        (
            "unsorted",
            B.header + B.directory(B.entry(Array("b".utf8), B.regular("1")), B.entry(Array("a".utf8), B.regular("2"))),
            "directory is not sorted"
        ),
        (
            "duplicate",
            B.header + B.directory(B.entry(Array("a".utf8), B.regular("1")), B.entry(Array("a".utf8), B.regular("2"))),
            "duplicate entry 'a'"
        ),
        ("empty name", B.header + B.directory(B.entry([], B.regular("1"))), "invalid file name ''"),
        (
            "name with slash", B.header + B.directory(B.entry(Array("a/b".utf8), B.regular("1"))),
            "invalid file name 'a/b'"
        ),
        ("name ..", B.header + B.directory(B.entry(Array("..".utf8), B.regular("1"))), "invalid file name '..'"),
        ("name .", B.header + B.directory(B.entry(Array(".".utf8), B.regular("1"))), "invalid file name '.'"),
        ("name with NUL", B.header + B.directory(B.entry([0x61, 0, 0x62], B.regular("1"))), "invalid file name"),
        (
            "oversized name",
            B.header + B.directory(B.entry([UInt8](repeating: 0x61, count: 256), B.regular("1"))),
            "exceeds the limit of 255"
        ),
        (
            "oversized keyword length", B.header + withUnsafeBytes(of: UInt64.max.littleEndian) { Array($0) },
            "exceeds the limit of 32"
        ),
        (
            "oversized contents length",
            B.header + B.str("(") + B.str("type") + B.str("regular") + B.str("contents")
                + withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Array($0) } + [1, 2, 3],
            "archive is truncated"
        ),
        (
            "non-empty executable marker",
            B.header + B.str("(") + B.str("type") + B.str("regular") + B.str("executable") + B.str("x")
                + B.str("contents")
                + B.str("") + B.str(")"),
            "executable marker has non-empty value"
        ),
        (
            "empty symlink target",
            B.header + B.str("(") + B.str("type") + B.str("symlink") + B.str("target") + B.str("") + B.str(")"),
            "symlink target is empty"
        ),
        ("trailing data", B.header + B.regular("x") + B.str("more"), "trailing data after the archive"),
        (
            "missing close",
            B.header + B.str("(") + B.str("type") + B.str("regular") + B.str("contents") + B.str("x") + B.str("("),
            "expected ')'"
        ),
    ]

    @Test(arguments: malformed.indices)
    func malformedArchivesAreRejectedAndLeaveNothing(_ index: Int) throws {
        let (label, nar, message) = Self.malformed[index]
        let dir = try TemporaryDirectory()
        try dir.sh("mkdir out")
        let error = #expect(throws: StoreError.self, "\(label)") { try restore(nar, to: dir("out/dest")) }
        #expect(error?.description.contains(message) == true, "\(label): \(error?.description ?? "no error")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("out")) == [], "\(label) left files behind")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["out"])
    }

    @Test func aSymlinkInTheArchiveCannotRedirectLaterEntries() throws {
        // "link" -> the outside, then an entry that would land in it if names could contain '/'.
        let dir = try TemporaryDirectory()
        try dir.sh("mkdir outside out")
        let link = B.str("(") + B.str("type") + B.str("symlink") + B.str("target") + B.str(dir("outside")) + B.str(")")
        let nar =
            B.header + B.directory(B.entry(Array("link".utf8), link), B.entry(Array("link/evil".utf8), B.regular("x")))
        #expect(throws: StoreError.self) { try restore(nar, to: dir("out/dest")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("outside")) == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("out")) == [])
    }
}
