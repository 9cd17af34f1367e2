import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

/// One layer of an image as a blob: the digest and size of its compressed bytes, the digest of
/// the tar inside (`diff_id`), and the store paths it holds (as the image names them).
public struct ImageLayer: Sendable, Equatable {
    public var digest: String
    public var diffID: String
    public var size: Int64
    public var mediaType: String
    public var paths: [String]
    /// What a layer without store paths holds, as its history entry says (`inspect`).
    public var note = ""

    /// How a store layer's history entry starts; its paths follow, separated by spaces.
    static let storePathsComment = "store paths: "

    public static func mediaType(for compression: Compressor.Method) -> String {
        compression == .zstd
            ? "application/vnd.oci.image.layer.v1.tar+zstd" : "application/vnd.oci.image.layer.v1.tar+gzip"
    }
}

/// Blobs by digest under one directory (`sha256/<hex>`), written once, atomically.
public struct BlobDirectory: Sendable {
    public let path: String

    /// Makes the directory when missing.
    public init(_ path: String) throws {
        self.path = path
        try OwnFiles.directory(path)
        try OwnFiles.directory(path + "/sha256")
    }

    /// A directory that is only read.
    init(existing path: String) { self.path = path }

    public func file(of digest: String) -> String {
        "\(path)/sha256/\(digest.dropFirst("sha256:".count))"
    }

    /// Whether the blob is here as a regular file (a link planted under its name is not it).
    public func contains(_ digest: String) -> Bool {
        (try? SystemCall.lstatIfExists(file(of: digest))).flatMap { $0 }.map(SystemCall.isRegular) ?? false
    }

    /// A new file to write a blob into; `add` moves it into place.
    func temporaryFile() throws -> (fd: Int32, path: String) {
        let name = "\(path)/.tmp-\(getpid())-\(UUID().uuidString)"
        let fd = try SystemCall.retrying("cannot create '\(name)'") {
            open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
        return (fd, name)
    }

    /// Moves the written file `temporary` into place as the blob it is; its digest.
    @discardableResult
    func add(_ temporary: String) throws -> (digest: String, size: Int64) {
        let digest = "sha256:" + (try FileTree.hashContents(of: temporary, algorithm: .sha256)).base16
        let size = Int64(try SystemCall.lstat(temporary).st_size)
        if contains(digest) {
            unlink(temporary)
            // Made again now: as new as if just written (the cache's pruning goes by this).
            utimes(file(of: digest), nil)
        } else {
            try SystemCall.retrying("cannot write '\(file(of: digest))'") { rename(temporary, file(of: digest)) }
        }
        return (digest, size)
    }

    /// Writes `bytes` as a blob; its digest.
    @discardableResult
    public func add(bytes: [UInt8]) throws -> (digest: String, size: Int64) {
        let (fd, temporary) = try temporaryFile()
        do {
            try bytes.withUnsafeBytes { try SystemCall.writeAll(fd, $0, "cannot write '\(temporary)'") }
            close(fd)
            return try add(temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
    }

    /// A layer as a blob: the tar `entries` write, hashed as it is made (its diff ID),
    /// compressed, then added by its digest. `name` is what messages call it.
    func layer(
        named name: String, compression: Compressor.Method, paths: [String], entries: (TarStream) throws -> Void
    ) throws -> ImageLayer {
        try TarStream.withUTF8Names {
            try writeLayer(named: name, compression: compression, paths: paths, entries: entries)
        }
    }

    private func writeLayer(
        named name: String, compression: Compressor.Method, paths: [String], entries: (TarStream) throws -> Void
    ) throws -> ImageLayer {
        let (fd, temporary) = try temporaryFile()
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            let compressor = try Compressor(toDescriptor: fd, with: compression)
            let diff = HashingSink(.sha256)
            let tar = try TarStream(name: name) { chunk in
                diff.consume(chunk)
                try compressor.consume(chunk)
            }
            try entries(tar)
            try tar.finish()
            try compressor.finish()
            close(fd)
            closed = true
            let (digest, size) = try add(temporary)
            return ImageLayer(
                digest: digest, diffID: "sha256:" + diff.finalize().base16, size: size,
                mediaType: ImageLayer.mediaType(for: compression), paths: paths)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Puts the blob `digest` of `other` here: a hard link, else a copy.
    public func take(_ digest: String, from other: BlobDirectory) throws {
        guard !contains(digest) else { return }
        // Whatever else is there under the blob's name (a planted link) goes.
        unlink(file(of: digest))
        let source = other.file(of: digest)
        if link(source, file(of: digest)) == 0 { return }
        let (fd, temporary) = try temporaryFile()
        close(fd)
        unlink(temporary)
        do {
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
            try SystemCall.retrying("cannot write '\(file(of: digest))'") { rename(temporary, file(of: digest)) }
        } catch {
            unlink(temporary)
            throw ContainerError("cannot copy \(source) to \(file(of: digest)): \(error)")
        }
    }
}

/// What makes two files of a layer one: their bytes and their mode.
struct FileKey: Hashable {
    let hash: Hash
    let mode: mode_t
}

/// Writes the tar of store paths, as the image holds them, compressed into a blob.
struct LayerWriter {
    let store: Store
    let paths: ImagePaths
    let compression: Compressor.Method
    let blobs: BlobDirectory

    /// `layer`: host paths. The tar holds the image's store directory and, under it, each path's
    /// tree with its contents renamed into the image's store (`ImagePaths`).
    func write(_ layer: [StorePath]) throws -> ImageLayer {
        let named = layer.map { (host: $0, image: paths.names[$0]!) }.sorted { $0.image < $1.image }
        return try blobs.layer(
            named: "the layer of \(layer.first.map(\.baseName) ?? "")", compression: compression,
            paths: named.map { paths.image.fullPath(of: $0.image) }
        ) { tar in
            try LayerWriter.parents(of: paths.image.path, in: tar)
            var written: [FileKey: [UInt8]] = [:]
            for (host, image) in named {
                try tree(
                    store.directory.fullPath(of: host), as: Array(paths.image.fullPath(of: image).utf8.dropFirst()),
                    in: tar, written: &written)
            }
        }
    }

    /// Directory entries for each component of `directory` (an absolute path).
    static func parents(of directory: String, in tar: TarStream) throws {
        var prefix: [UInt8] = []
        for component in directory.split(separator: "/") {
            prefix += (prefix.isEmpty ? [] : [UInt8(ascii: "/")]) + Array(component.utf8)
            try tar.directory(prefix, mode: 0o755)
        }
    }

    /// The tree at `source` (a store path: only directories, regular files and links, normalized)
    /// as `target`, walked in NAR order without recursion.
    private func tree(_ source: String, as target: [UInt8], in tar: TarStream, written: inout [FileKey: [UInt8]]) throws
    {
        var pending: [(source: [UInt8], target: [UInt8], depth: Int)] = [(Array(source.utf8), target, 0)]
        while let (from, to, depth) = pending.popLast() {
            let fromPath = String(decoding: from, as: UTF8.self)
            guard depth <= FileTree.maximumDepth else {
                throw ContainerError("\(source) is nested deeper than \(FileTree.maximumDepth) directories")
            }
            let st = try SystemCall.lstat(fromPath)
            if SystemCall.isDirectory(st) {
                try tar.directory(to, mode: 0o555)
                let fd = try SystemCall.retrying("cannot open '\(fromPath)'") {
                    open(fromPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                defer { close(fd) }
                let names = try SystemCall.sortedEntries(ofDirectory: fd, "cannot list '\(fromPath)'")
                for name in names.reversed() {
                    pending.append((from + [UInt8(ascii: "/")] + name, to + [UInt8(ascii: "/")] + name, depth + 1))
                }
            } else if SystemCall.isSymlink(st) {
                var linkTarget = Array((try FileManager.default.destinationOfSymbolicLink(atPath: fromPath)).utf8)
                paths.rewritten(&linkTarget)
                try tar.symlink(to, to: linkTarget)
            } else if SystemCall.isRegular(st) {
                var contents = try LayerWriter.contents(of: fromPath, size: Int(st.st_size))
                paths.rewritten(&contents)
                let mode: mode_t = SystemCall.isExecutable(st) ? 0o555 : 0o444
                // A file the layer has already (same bytes, same mode) is a hard link to it: by
                // content, not by inode, so the layer is the same whether the store shares files.
                let key = FileKey(hash: Hasher.hash(.sha256, contents), mode: mode)
                if let first = written[key] {
                    try tar.hardLink(to, to: first, mode: mode)
                } else {
                    written[key] = to
                    try tar.file(to, mode: mode, contents: contents)
                }
            } else {
                throw ContainerError("\(fromPath) is not a directory, a file or a link")
            }
        }
    }

    static func contents(of path: String, size: Int) throws -> [UInt8] {
        let fd = try SystemCall.retrying("cannot open '\(path)'") { open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: size)
        let count = try bytes.withUnsafeMutableBytes { try SystemCall.readFully(fd, $0, "cannot read '\(path)'") }
        guard count == size else { throw ContainerError("\(path) changed while it was read") }
        return bytes
    }
}
