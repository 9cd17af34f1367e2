import CArchive
import DevenvBasics
import Glibc

/// A deterministic tar stream (POSIX pax, as libarchive writes it) handed to `output` as it is
/// made: entries in the order written, every entry's mtime 1 and owner as given (0:0 by
/// default), no user or group names, no access or change times.
final class TarStream {
    typealias Output = (UnsafeRawBufferPointer) throws -> Void

    private let writer: OpaquePointer?
    private let entry: OpaquePointer?
    private let output: Output
    /// An error `output` threw, given back when libarchive reports the failed write.
    private var failure: (any Error)?
    private let name: String

    /// `name` is what messages call the stream.
    init(name: String, output: @escaping Output) throws {
        self.name = name
        self.output = output
        writer = archive_write_new()
        entry = archive_entry_new()
        guard archive_write_set_format_pax_restricted(writer) == ARCHIVE_OK else { throw error("start") }
        archive_write_set_bytes_in_last_block(writer, 1)
        let opened = archive_write_open(
            writer, Unmanaged.passUnretained(self).toOpaque(), nil,
            { _, context, buffer, length in
                let stream = Unmanaged<TarStream>.fromOpaque(context!).takeUnretainedValue()
                do {
                    try stream.output(UnsafeRawBufferPointer(start: buffer, count: length))
                    return length
                } catch {
                    stream.failure = error
                    return -1
                }
            }, nil)
        guard opened == ARCHIVE_OK else { throw error("start") }
    }

    deinit {
        archive_entry_free(entry)
        archive_write_free(writer)
    }

    /// Paths are relative (`etc/passwd`), as bytes: a store path's file names need not be UTF-8.
    func directory(_ path: [UInt8], mode: mode_t = 0o755, owner: (uid: Int, gid: Int) = (0, 0)) throws {
        try header(path, type: S_IFDIR, mode: mode, size: 0, owner: owner)
    }

    func symlink(_ path: [UInt8], to target: [UInt8]) throws {
        try header(path, type: S_IFLNK, mode: 0o777, size: 0, owner: (0, 0)) { entry in
            TarStream.withCString(target) { archive_entry_set_symlink(entry, $0) }
        }
    }

    /// Another name for the regular file `target`, written earlier in this stream.
    func hardLink(_ path: [UInt8], to target: [UInt8], mode: mode_t) throws {
        try header(path, type: S_IFREG, mode: mode, size: 0, owner: (0, 0)) { entry in
            TarStream.withCString(target) { archive_entry_set_hardlink(entry, $0) }
        }
    }

    func file(_ path: [UInt8], mode: mode_t, contents: [UInt8], owner: (uid: Int, gid: Int) = (0, 0)) throws {
        try header(path, type: S_IFREG, mode: mode, size: contents.count, owner: owner)
        try contents.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let written = archive_write_data(writer, bytes.baseAddress! + done, bytes.count - done)
                guard written > 0 else { throw error("write '\(String(decoding: path, as: UTF8.self))' to") }
                done += written
            }
        }
    }

    /// Ends the stream (the two zero blocks).
    func finish() throws {
        guard archive_write_close(writer) == ARCHIVE_OK else { throw error("finish") }
    }

    /// Names must be UTF-8, which pax headers hold (`withUTF8Names`).
    private func header(
        _ path: [UInt8], type: mode_t, mode: mode_t, size: Int, owner: (uid: Int, gid: Int),
        more: (OpaquePointer?) -> Void = { _ in }
    ) throws {
        guard String(validating: path, as: UTF8.self) != nil else {
            throw ContainerError(
                "cannot add '\(String(decoding: path, as: UTF8.self))' to \(name): its name is not UTF-8")
        }
        archive_entry_clear(entry)
        TarStream.withCString(path) { archive_entry_set_pathname(entry, $0) }
        archive_entry_set_filetype(entry, UInt32(type))
        archive_entry_set_perm(entry, mode)
        archive_entry_set_size(entry, Int64(size))
        archive_entry_set_mtime(entry, 1, 0)
        archive_entry_set_uid(entry, Int64(owner.uid))
        archive_entry_set_gid(entry, Int64(owner.gid))
        more(entry)
        guard archive_write_header(writer, entry) == ARCHIVE_OK else {
            throw error("add '\(String(decoding: path, as: UTF8.self))' to")
        }
    }

    /// Runs `body` with this thread's character type UTF-8: libarchive reads names in the
    /// current locale, and in the C locale any name that is not ASCII cannot be written.
    static func withUTF8Names<T>(_ body: () throws -> T) rethrows -> T {
        guard let locale = utf8Locale else { return try body() }
        let previous = uselocale(locale)
        defer { uselocale(previous) }
        return try body()
    }

    nonisolated(unsafe) private static let utf8Locale: locale_t? = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)

    private static func withCString(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> Void) {
        (bytes + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
    }

    private func error(_ what: String) -> any Error {
        if let failure { return failure }
        return ContainerError(
            "cannot \(what) \(name): \(archive_error_string(writer).map { String(cString: $0) } ?? "unknown error")")
    }
}
