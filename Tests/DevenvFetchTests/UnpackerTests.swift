import DevenvFetch
import DevenvStore
import Foundation
import TestSupport
import Testing

struct UnpackerTests {
    static let narAHash = "dfea91d9bbee52e8a510e8a43a1f79c068d94647f91c447cf2dbe104843ef55f"

    /// narA packed every way the unpacker reads, some under a top directory `pkg-1.0`.
    func makeArchives(in dir: TemporaryDirectory) throws {
        try NixTrees.make(in: dir)
        try dir.sh(
            """
            mkdir top && cp -a narA top/pkg-1.0
            tar -C narA -cf narA.tar . && tar -C narA -czf narA.tar.gz . && tar -C narA -cJf narA.tar.xz .
            tar -C narA -cjf narA.tar.bz2 . && tar -C narA --zstd -cf narA.tar.zst .
            (cd narA && zip -qry ../narA.zip .)
            tar -C top -czf top.tar.gz pkg-1.0 && (cd top && zip -qry ../top.zip pkg-1.0)
            """)
    }

    @Test(arguments: ["narA.tar", "narA.tar.gz", "narA.tar.xz", "narA.tar.bz2", "narA.tar.zst", "narA.zip"])
    func everyFormatUnpacksToTheSameTree(_ archive: String) throws {
        let dir = try TemporaryDirectory()
        try makeArchives(in: dir)
        try Unpacker.unpack(dir(archive), into: dir("out"))
        #expect(try Nar.hash(of: dir("out")).hash.base16 == Self.narAHash)
    }

    @Test(arguments: ["top.tar.gz", "top.zip"])
    func stripAndSubdirKeepWhatIsAsked(_ archive: String) throws {
        let dir = try TemporaryDirectory()
        try makeArchives(in: dir)
        try Unpacker.unpack(dir(archive), into: dir("stripped"), options: UnpackOptions(strip: 1))
        #expect(try Nar.hash(of: dir("stripped")).hash.base16 == Self.narAHash)
        try Unpacker.unpack(dir(archive), into: dir("sub"), options: UnpackOptions(strip: 1, subdir: "sub"))
        #expect(try Nar.hash(of: dir("sub")) == (try Nar.hash(of: dir("narA/sub"))))
        try Unpacker.unpack(dir(archive), into: dir("whole"), options: UnpackOptions(subdir: "pkg-1.0/sub/"))
        #expect(try Nar.hash(of: dir("whole")) == (try Nar.hash(of: dir("narA/sub"))))
    }

    /// A Debian package's files are its `data.tar.*` (xz, zstd or gz, as dpkg-deb writes them);
    /// its control files and maintainer scripts are not unpacked.
    @Test(arguments: ["xz", "zstd", "gzip"])
    func aDebianPackageUnpacksToItsFiles(_ compression: String) throws {
        let dir = try TemporaryDirectory()
        try NixTrees.make(in: dir)
        try dir.sh(
            """
            mkdir -p pkg/DEBIAN && cp -a narA/. pkg/
            printf 'Package: t\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: t <t@example.org>\\nDescription: t\\n' > pkg/DEBIAN/control
            printf '#!/bin/sh\\ntouch /tmp/devenv-postinst-ran\\n' > pkg/DEBIAN/postinst && chmod 755 pkg/DEBIAN/postinst
            dpkg-deb --root-owner-group -Z\(compression) --build pkg t.deb >/dev/null
            """)
        try Unpacker.unpack(dir("t.deb"), into: dir("out"))
        #expect(try Nar.hash(of: dir("out")).hash.base16 == Self.narAHash)
        #expect(!FileManager.default.fileExists(atPath: dir("out/DEBIAN")))
        #expect(!FileManager.default.fileExists(atPath: dir("out.data")))
    }

    @Test func aDebianPackageWithUnsafeFilesIsRefusedAndLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        try dir.sh(
            """
            python3 - <<'PY'
            import io, tarfile
            for name, path in [("data.tar.gz", "../evil"), ("control.tar.gz", "control")]:
                with tarfile.open(name, "w:gz") as t:
                    i = tarfile.TarInfo(path); i.size = 1; t.addfile(i, io.BytesIO(b"x"))
            open("debian-binary", "w").write("2.0\\n")
            PY
            ar rc evil.deb debian-binary control.tar.gz data.tar.gz
            ar rc nodata.deb debian-binary control.tar.gz
            """)
        let error = #expect(throws: FetchError.self) { try Unpacker.unpack(dir("evil.deb"), into: dir("out")) }
        #expect(error?.description.contains("'../evil' contains '..'") == true, "\(error?.description ?? "")")
        #expect(
            !FileManager.default.fileExists(atPath: dir("out"))
                && !FileManager.default.fileExists(atPath: dir("out.data")))
        #expect(throws: FetchError("the Debian package '\(dir("nodata.deb"))' has no data.tar member")) {
            try Unpacker.unpack(dir("nodata.deb"), into: dir("out"))
        }
    }

    @Test func aWheelKeepsItsExecutableBits() throws {
        let dir = try TemporaryDirectory()
        try dir.sh(
            """
            python3 - <<'PY'
            import zipfile
            with zipfile.ZipFile("tool-1.0-py3-none-manylinux_2_17_x86_64.whl", "w", zipfile.ZIP_DEFLATED) as z:
                i = zipfile.ZipInfo("tool-1.0.data/scripts/tool"); i.external_attr = 0o100755 << 16
                z.writestr(i, "#!/bin/sh\\necho tool\\n")
                z.writestr("tool/__init__.py", "")
                z.writestr("tool-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\n")
            PY
            """)
        try Unpacker.unpack(dir("tool-1.0-py3-none-manylinux_2_17_x86_64.whl"), into: dir("out"))
        #expect(FileManager.default.isExecutableFile(atPath: dir("out/tool-1.0.data/scripts/tool")))
        #expect(!FileManager.default.isExecutableFile(atPath: dir("out/tool/__init__.py")))
        #expect(try dir.sh("out/tool-1.0.data/scripts/tool") == "tool")
    }

    /// Archives that try to reach outside, each made with Python's tarfile or zipfile.
    static let unsafe: [(String, String, String)] = [
        (
            "absolute path", "t.addfile(reg('/tmp/devenv-evil-abs'), io.BytesIO(b'x'))",
            "'/tmp/devenv-evil-abs' has an absolute path"
        ),
        ("dot-dot", "t.addfile(reg('../evil'), io.BytesIO(b'x'))", "'../evil' contains '..'"),
        ("too deep", "t.addfile(reg('d/' * 300 + 'f'), io.BytesIO(b'x'))", "is nested deeper than 256 directories"),
        ("dot-dot inside", "t.addfile(reg('a/../../evil'), io.BytesIO(b'x'))", "'a/../../evil' contains '..'"),
        ("absolute symlink", "t.addfile(link('etc', '/etc'))", "'etc' is a symlink to the absolute path '/etc'"),
        ("escaping symlink", "t.addfile(link('up', '../..'))", "'up' is a symlink to '../..', which points outside"),
        (
            "escape through a chain of links",
            "t.addfile(dir_('d1')); t.addfile(dir_('d1/d2')); t.addfile(link('d1/d2/top', '../..')); t.addfile(link('x', 'd1/d2/top')); t.addfile(link('y', 'x/..'))",
            "'y' is a symlink to 'x/..', which points outside"
        ),
        (
            "write through a symlink",
            "t.addfile(dir_('sub')); t.addfile(link('link', 'sub')); t.addfile(reg('link/file'), io.BytesIO(b'x'))",
            "'link/file' lies inside 'link', which is not a directory"
        ),
        // Each link names the one before 20 times: exponentially many steps, within the depth.
        (
            "links that multiply",
            "t.addfile(dir_('d')); t.addfile(link('l0', 'd'))\n    "
                + "for i in range(1, 13): t.addfile(link('l%d' % i, '/'.join(['l%d/..' % (i - 1)] * 19 + ['l%d' % (i - 1)])))",
            "which points outside"
        ),
        ("hardlink to outside", "t.addfile(hard('hl', '../outside'))", "'hl' is a hard link to '../outside'"),
        (
            "hardlink to nothing", "t.addfile(hard('hl', 'missing'))",
            "'hl' is a hard link to 'missing', which is not a file extracted before it"
        ),
        ("character device", "t.addfile(dev('null', tarfile.CHRTYPE))", "'null' is a device, FIFO or socket"),
        ("fifo", "t.addfile(dev('pipe', tarfile.FIFOTYPE))", "'pipe' is a device, FIFO or socket"),
        (
            "duplicate names", "t.addfile(reg('twice'), io.BytesIO(b'x')); t.addfile(reg('twice'), io.BytesIO(b'x'))",
            "'twice' is a duplicate name"
        ),
    ]

    @Test(arguments: unsafe.indices)
    func unsafeArchivesAreRefusedAndLeaveNothing(_ index: Int) throws {
        let (label, body, message) = Self.unsafe[index]
        let dir = try TemporaryDirectory()
        try dir.sh(
            """
            mkdir inner && cd inner && python3 - <<'PY'
            import io, tarfile
            def reg(n):
                i = tarfile.TarInfo(n); i.size = 1; return i
            def link(n, target):
                i = tarfile.TarInfo(n); i.type = tarfile.SYMTYPE; i.linkname = target; return i
            def hard(n, target):
                i = tarfile.TarInfo(n); i.type = tarfile.LNKTYPE; i.linkname = target; return i
            def dir_(n):
                i = tarfile.TarInfo(n); i.type = tarfile.DIRTYPE; i.mode = 0o755; return i
            def dev(n, kind):
                i = tarfile.TarInfo(n); i.type = kind; return i
            with tarfile.open("../bad.tar", "w", format=tarfile.GNU_FORMAT) as t:
                \(body)
            PY
            """)
        let error = #expect(throws: FetchError.self, "\(label)") {
            try Unpacker.unpack(dir("bad.tar"), into: dir("inner/out"))
        }
        #expect(error?.description.contains(message) == true, "\(label): \(error?.description ?? "")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("inner")) == [], "\(label)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["bad.tar", "inner"])
        #expect(!FileManager.default.fileExists(atPath: "/tmp/devenv-evil-abs"))
    }

    /// A sparse entry of a few hundred bytes can say a file of terabytes, every byte of which the
    /// store would hash: the files unpacked may hold 32 GiB at most, holes included, and what
    /// goes past it is refused before it is written.
    @Test func aSparseFileLargerThanTheLimitIsRefusedAndLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        try dir.sh(
            "mkdir in inner && truncate -s 40G in/big && printf x >> in/big && tar -S -C in -cf big.tar big && rm in/big"
        )
        let archiveSize = try #require(try FileManager.default.attributesOfItem(atPath: dir("big.tar"))[.size] as? Int)
        #expect(archiveSize < 1 << 20)
        let error = #expect(throws: FetchError.self) { try Unpacker.unpack(dir("big.tar"), into: dir("inner/out")) }
        #expect(
            error?.description.contains("'big' would make the unpacked files larger than 32 GiB") == true,
            "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("inner")) == [])
    }

    @Test func stripRefusesArchivesWithMoreThanOneTopDirectory() throws {
        let dir = try TemporaryDirectory()
        try dir.sh(
            "mkdir -p t/a t/b && echo 1 > t/a/x && echo 2 > t/b/y && tar -C t -cf two.tar a b && echo hi > notes.txt")
        let error = #expect(throws: FetchError.self) {
            try Unpacker.unpack(dir("two.tar"), into: dir("out"), options: UnpackOptions(strip: 1))
        }
        #expect(error?.description.contains("cannot strip 1 leading directories") == true)
        #expect(!FileManager.default.fileExists(atPath: dir("out")))
        #expect(throws: FetchError.self) { try Unpacker.unpack(dir("notes.txt"), into: dir("out")) }
        #expect(!FileManager.default.fileExists(atPath: dir("out")))
    }
}
