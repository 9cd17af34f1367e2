import CArchive
import DevenvBasics
import DevenvStore
import Glibc

/// What to keep of an archive: `strip` leading directories (all entries must share them), then
/// only what lies under `subdir`, re-rooted there.
public struct UnpackOptions: Hashable, Sendable, Codable {
    public var strip: Int
    public var subdir: String?

    public init(strip: Int = 0, subdir: String? = nil) {
        self.strip = strip
        self.subdir = subdir
    }
}

/// Unpacks tar (plain, gz, xz, bz2, zstd) and zip archives, Python wheels included, and Debian
/// packages (the files of their `data.tar.*`) with libarchive into a new directory, refusing
/// anything that could reach outside it: absolute paths, `..`, symlinks that point outside, hard
/// links to outside, device files and duplicate names, each with an error naming the entry. On
/// any error the destination is removed again.
public enum Unpacker {
    public static func unpack(_ archive: String, into destination: String, options: UnpackOptions = UnpackOptions())
        throws
    {
        try unpack([archive], into: destination, options: options)
    }

    /// Unpacks several archives into one new directory, their directories merged; a file that two
    /// of them contain is refused like any duplicate. The links of a Debian package are relative
    /// to the root it is installed in, so they may be absolute or climb above it: they are kept as
    /// they are, for relocation to point into the store (nothing here follows a link).
    public static func unpack(_ archives: [String], into destination: String, options: UnpackOptions = UnpackOptions())
        throws
    {
        try SystemCall.retrying("cannot create '\(destination)'") { mkdir(destination, 0o700) }
        // A .deb's files are the tar inside it: taken out beside the destination, then unpacked.
        let data = destination + ".data"
        do {
            var nodes: [[[UInt8]]: Extraction.Node] = [[]: .directory]
            for archive in archives {
                var source = archive
                let isDebian = try isDebianPackage(archive)
                if isDebian {
                    try extractData(of: archive, to: data)
                    source = data
                }
                defer { unlink(data) }
                let extraction = try Extraction(
                    archive: source, destination: destination, options: options, nodes: nodes,
                    linksAreRooted: isDebian)
                try extraction.run()
                nodes = extraction.nodes
            }
        } catch {
            try? FileTree.remove(destination)
            throw error
        }
    }

    /// Writes the decompressed contents of the file at `path` (xz, gzip, zstd, bzip2 or none) to
    /// the new file `target`; each block written is also given to `observe` (to hash it on the way).
    public static func decompress(
        _ path: String, to target: String, observe: (UnsafeRawBufferPointer) throws -> Void = { _ in }
    ) throws {
        let decompressor = try Decompressor(path)
        let output = try SystemCall.retrying("cannot create '\(target)'") {
            open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        defer { close(output) }
        try withUnsafeTemporaryAllocation(byteCount: 1 << 16, alignment: 4096) { buffer in
            while case let n = try decompressor.read(into: buffer), n > 0 {
                let block = UnsafeRawBufferPointer(rebasing: buffer[..<n])
                try SystemCall.writeAll(output, block, "cannot write '\(target)'")
            }
        }
    }

    /// Writes the data of the entry `reader` is at into the new file `target`.
    private static func copyData(of reader: OpaquePointer?, to target: String, from path: String) throws {
        let output = try SystemCall.retrying("cannot create '\(target)'") {
            open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        defer { close(output) }
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let status = archive_read_data_block(reader, &buffer, &size, &offset)
            if status == ARCHIVE_EOF { return }
            guard status == ARCHIVE_OK else {
                throw FetchError(
                    "cannot read '\(path)': \(archive_error_string(reader).map { String(cString: $0) } ?? "unknown error")"
                )
            }
            if let buffer {
                let block = UnsafeRawBufferPointer(start: buffer, count: size)
                try SystemCall.writeAll(output, block, "cannot write '\(target)'")
            }
        }
    }

    /// Whether the file is a Debian package: an `ar` archive whose first member is `debian-binary`.
    static func isDebianPackage(_ path: String) throws -> Bool {
        let fd = try SystemCall.retrying("cannot open '\(path)'") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 21)
        let count = try head.withUnsafeMutableBytes { try SystemCall.readFully(fd, $0, "cannot read '\(path)'") }
        return count == 21 && head == Array("!<arch>\ndebian-binary".utf8)
    }

    /// Writes the `data.tar.*` member of the Debian package at `path` to the new file `target`.
    private static func extractData(of path: String, to target: String) throws {
        let reader = archive_read_new()
        defer { archive_read_free(reader) }
        archive_read_support_format_ar(reader)
        func failure(_ what: String) -> FetchError {
            FetchError(
                "\(what) '\(path)': \(archive_error_string(reader).map { String(cString: $0) } ?? "unknown error")")
        }
        guard archive_read_open_filename(reader, path, 1 << 16) == ARCHIVE_OK else {
            throw failure("cannot read the Debian package")
        }
        var entry: OpaquePointer?
        while archive_read_next_header(reader, &entry) == ARCHIVE_OK {
            guard let entry, let name = archive_entry_pathname(entry).map({ String(cString: $0) }),
                name.hasPrefix("data.tar")
            else { continue }
            try copyData(of: reader, to: target, from: path)
            return
        }
        throw FetchError("the Debian package '\(path)' has no data.tar member")
    }
}

/// One run of `Unpacker.unpack`: libarchive's reader, the destination's root directory, and what
/// has been created so far (to catch duplicates and to check links once everything is there).
private final class Extraction {
    enum Node {
        case directory
        case file
        case symlink([UInt8])
    }

    let archivePath: String
    let options: UnpackOptions
    /// Links may be absolute or climb out (a Debian package's, relative to `/`).
    let linksAreRooted: Bool
    let subdir: [[UInt8]]
    let reader: OpaquePointer
    let root: Int32
    var nodes: [[[UInt8]]: Node]
    /// The leading components `strip` removes; every entry must have the same ones.
    var stripped: [[UInt8]]?

    init(
        archive: String, destination: String, options: UnpackOptions, nodes: [[[UInt8]]: Node], linksAreRooted: Bool
    ) throws {
        archivePath = archive
        self.options = options
        self.nodes = nodes
        self.linksAreRooted = linksAreRooted
        subdir = try options.subdir.map { try Extraction.components(Array($0.utf8), entry: "subdir \($0)") } ?? []
        reader = archive_read_new()
        // Only the formats we mean: with every format enabled, any text file is an "mtree" archive.
        archive_read_support_filter_all(reader)
        archive_read_support_format_tar(reader)
        archive_read_support_format_gnutar(reader)
        archive_read_support_format_zip(reader)
        // Once every property is set, deinit runs even when init throws: it releases both.
        root = open(destination, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if root < 0 { throw FetchError("cannot open '\(destination)': \(SystemCall.message())") }
        if archive_read_open_filename(reader, archive, 1 << 16) != ARCHIVE_OK {
            throw FetchError("cannot read archive '\(archive)': \(libarchiveError())")
        }
    }

    deinit {
        archive_read_free(reader)
        if root >= 0 { close(root) }
    }

    func libarchiveError() -> String {
        archive_error_string(reader).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    func refuse(_ entry: String, _ reason: String) -> FetchError {
        FetchError("archive '\(archivePath)': entry '\(entry)' \(reason)")
    }

    func run() throws {
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(reader, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK, let entry else {
                throw FetchError("cannot read archive '\(archivePath)': \(libarchiveError())")
            }
            try extract(entry)
        }
        try checkSymlinks()
    }

    /// Splits a path into components, dropping empty ones and `.`; `..` and absolute paths are refused.
    static func components(_ path: [UInt8], entry: String) throws -> [[UInt8]] {
        if path.first == UInt8(ascii: "/") { throw FetchError("entry '\(entry)' has an absolute path") }
        let parts = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map(Array.init)
        if parts.contains([0x2E, 0x2E]) { throw FetchError("entry '\(entry)' contains '..'") }
        if parts.count > FileTree.maximumDepth {
            throw FetchError("entry '\(entry.prefix(200))…' is nested deeper than \(FileTree.maximumDepth) directories")
        }
        return parts.filter { $0 != [0x2E] }
    }

    /// Where an archive path lands in the destination, or nil when strip or subdir drop it.
    func destinationPath(of raw: [UInt8], isDirectory: Bool, display: String) throws -> [[UInt8]]? {
        var parts: [[UInt8]]
        do {
            parts = try Extraction.components(raw, entry: display)
        } catch let error as FetchError {
            throw FetchError("archive '\(archivePath)': \(error.description)")
        }
        if options.strip > 0 {
            guard parts.count > options.strip else {
                if isDirectory { return nil }
                throw refuse(display, "lies above the \(options.strip) leading directories to strip")
            }
            let prefix = Array(parts.prefix(options.strip))
            if let stripped, stripped != prefix {
                let expected = stripped.map(\.displayString).joined(separator: "/")
                throw refuse(display, "is not under '\(expected)'; cannot strip \(options.strip) leading directories")
            }
            stripped = prefix
            parts.removeFirst(options.strip)
        }
        guard parts.starts(with: subdir), parts.count > subdir.count else { return nil }
        return Array(parts.dropFirst(subdir.count))
    }

    /// The bytes of a C string, exactly (names need not be UTF-8).
    static func bytes(_ string: UnsafePointer<CChar>) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: string, count: strlen(string)))
    }

    func extract(_ entry: OpaquePointer) throws {
        guard let rawName = archive_entry_pathname(entry) ?? archive_entry_pathname_utf8(entry) else {
            throw FetchError("archive '\(archivePath)': an entry has no readable name")
        }
        let raw = Extraction.bytes(rawName)
        let display = raw.displayString
        let type = archive_entry_filetype(entry)
        let isDirectory = type == 0o040000 && archive_entry_hardlink(entry) == nil
        guard let path = try destinationPath(of: raw, isDirectory: isDirectory, display: display) else { return }

        if let hardlink = archive_entry_hardlink(entry) {
            let targetRaw = Extraction.bytes(hardlink)
            guard
                let target = try? destinationPath(of: targetRaw, isDirectory: false, display: targetRaw.displayString),
                case .file = nodes[target]
            else {
                throw refuse(
                    display, "is a hard link to '\(targetRaw.displayString)', which is not a file extracted before it")
            }
            let parent = try openParent(of: path, display: display)
            defer { close(parent) }
            try claim(path, as: .file, display: display)
            try copyHardlink(from: target, to: path, in: parent, display: display)
            return
        }

        switch type {
        case 0o040000:
            if case .directory = nodes[path] { return }
            let parent = try openParent(of: path, display: display)
            defer { close(parent) }
            try claim(path, as: .directory, display: display)
            try SystemCall.retrying("cannot create directory for '\(display)'") {
                path.last!.withCString { mkdirat(parent, $0, 0o700) }
            }
        case 0o100000:
            let parent = try openParent(of: path, display: display)
            defer { close(parent) }
            try claim(path, as: .file, display: display)
            let executable = archive_entry_perm(entry) & 0o100 != 0
            let fd = try SystemCall.retrying("cannot create file for '\(display)'") {
                path.last!.withCString {
                    openat(parent, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, executable ? 0o700 : 0o600)
                }
            }
            defer { close(fd) }
            try writeData(of: entry, to: fd, display: display)
        case 0o120000:
            guard let linkTarget = archive_entry_symlink(entry) ?? archive_entry_symlink_utf8(entry) else {
                throw refuse(display, "is a symlink without a target")
            }
            let target = Extraction.bytes(linkTarget)
            if target.first == UInt8(ascii: "/"), !linksAreRooted {
                throw refuse(
                    display, "is a symlink to the absolute path '\(target.displayString)', outside the archive")
            }
            let parent = try openParent(of: path, display: display)
            defer { close(parent) }
            try claim(path, as: .symlink(target), display: display)
            try SystemCall.retrying("cannot create symlink for '\(display)'") {
                target.withCString { t in path.last!.withCString { symlinkat(t, parent, $0) } }
            }
        default:
            throw refuse(display, "is a device, FIFO or socket (file type \(String(type, radix: 8)))")
        }
    }

    /// Records a new entry; a name seen before (other than a directory twice) is refused.
    func claim(_ path: [[UInt8]], as node: Node, display: String) throws {
        if nodes[path] != nil { throw refuse(display, "is a duplicate name") }
        nodes[path] = node
    }

    /// Opens the parent directory of `path`, creating missing directories; never follows a symlink.
    func openParent(of path: [[UInt8]], display: String) throws -> Int32 {
        var fd = dup(root)
        for depth in 0..<(path.count - 1) {
            let prefix = Array(path[...depth])
            switch nodes[prefix] {
            case nil:
                nodes[prefix] = .directory
                _ = prefix.last!.withCString { mkdirat(fd, $0, 0o700) }
            case .directory: break
            default:
                close(fd)
                throw refuse(
                    display,
                    "lies inside '\(prefix.map(\.displayString).joined(separator: "/"))', which is not a directory")
            }
            let next = prefix.last!.withCString { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            close(fd)
            guard next >= 0 else { throw refuse(display, "cannot be created: \(SystemCall.message())") }
            fd = next
        }
        return fd
    }

    /// How many bytes the files unpacked so far hold (holes of sparse files included: every byte
    /// is read again when the tree is hashed), and how many they may hold: a few hundred bytes of
    /// sparse archive entry can say a file of terabytes.
    private var unpackedBytes: Int64 = 0
    static let largestUnpacked: Int64 = 32 << 30

    /// Counts a file of `size` bytes, refusing it when the tree would grow past `largestUnpacked`.
    private func count(_ size: Int64, display: String) throws {
        guard size <= Extraction.largestUnpacked - unpackedBytes else { throw tooLarge(display) }
        unpackedBytes += size
    }

    private func tooLarge(_ display: String) -> FetchError {
        refuse(display, "would make the unpacked files larger than \(Extraction.largestUnpacked >> 30) GiB")
    }

    func writeData(of entry: OpaquePointer, to fd: Int32, display: String) throws {
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        // How long the file is so far (counted when it is written, so that nothing past the
        // limit reaches the disk).
        var end: Int64 = 0
        while true {
            let status = archive_read_data_block(reader, &block, &size, &offset)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK else {
                throw FetchError("archive '\(archivePath)': cannot read entry '\(display)': \(libarchiveError())")
            }
            // Bounded before it is added to, so that the sum cannot overflow.
            guard offset >= 0, offset <= Extraction.largestUnpacked else { throw tooLarge(display) }
            if offset + Int64(size) > end {
                try count(offset + Int64(size) - end, display: display)
                end = offset + Int64(size)
            }
            var written = 0
            while written < size {
                let n = try SystemCall.retrying("cannot write '\(display)'") {
                    pwrite(fd, block! + written, size - written, off_t(offset) + off_t(written))
                }
                written += n
            }
        }
        // A sparse entry may end in a hole: make the file as long as the archive says.
        if archive_entry_size_is_set(entry) != 0 {
            let length = archive_entry_size(entry)
            if length > end { try count(length - end, display: display) }
            try SystemCall.retrying("cannot size '\(display)'") { ftruncate(fd, off_t(length)) }
        }
    }

    func copyHardlink(from target: [[UInt8]], to path: [[UInt8]], in parent: Int32, display: String) throws {
        let targetParent = try openParent(of: target, display: display)
        defer { close(targetParent) }
        let input = try SystemCall.retrying("cannot open the target of '\(display)'") {
            target.last!.withCString { openat(targetParent, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        }
        defer { close(input) }
        var st = stat()
        fstat(input, &st)
        try count(Int64(st.st_size), display: display)
        let output = try SystemCall.retrying("cannot create file for '\(display)'") {
            path.last!.withCString {
                openat(parent, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0o700)
            }
        }
        defer { close(output) }
        try FileTree.copyContents(from: input, to: output, display: display)
    }

    /// Every symlink must resolve, through any other links of the tree, to a place inside it.
    func checkSymlinks() throws {
        guard !linksAreRooted else { return }
        linksFollowed = 0
        for (path, node) in nodes {
            guard case .symlink(let target) = node else { continue }
            if resolve(target, from: Array(path.dropLast()), depth: 0) == nil {
                let name = path.map(\.displayString).joined(separator: "/")
                throw refuse(name, "is a symlink to '\(target.displayString)', which points outside the archive")
            }
        }
    }

    /// Links followed by `checkSymlinks` so far: bounded as a whole, not only in depth, since
    /// links whose targets name other links many times over (`l1 -> l0/../l0/../l0`, and so on)
    /// would take exponentially many steps within the depth.
    private var linksFollowed = 0
    private static let mostLinksFollowed = 1 << 20

    /// Where following `target` from the directory `base` leads, or nil if it leaves the tree
    /// (or loops, or takes too many steps).
    private func resolve(_ target: [UInt8], from base: [[UInt8]], depth: Int) -> [[UInt8]]? {
        linksFollowed += 1
        guard depth < 40, linksFollowed <= Extraction.mostLinksFollowed, target.first != UInt8(ascii: "/") else {
            return nil
        }
        var current = base
        for part in target.split(separator: UInt8(ascii: "/")).map(Array.init) {
            if part == [0x2E] { continue }
            if part == [0x2E, 0x2E] {
                if current.isEmpty { return nil }
                current.removeLast()
                continue
            }
            if case .symlink(let next) = nodes[current + [part]] {
                guard let resolved = resolve(next, from: current, depth: depth + 1) else { return nil }
                current = resolved
            } else {
                current.append(part)
            }
        }
        return current
    }
}
