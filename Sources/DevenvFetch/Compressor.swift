import CArchive
import DevenvBasics
import Glibc

/// Compresses a file as one raw stream (what a binary cache's `nar/….nar.zst` is).
public enum Compressor {
    public enum Method: String, Sendable, CaseIterable {
        case zstd
        case xz

        /// The file extension a binary cache gives it.
        public var fileExtension: String { self == .zstd ? ".zst" : ".xz" }
    }

    /// Writes `source`, compressed with `method`, to the new file `target`.
    public static func compress(_ source: String, to target: String, with method: Method) throws {
        let writer = archive_write_new()
        defer { archive_write_free(writer) }
        func failure(_ what: String) -> FetchError {
            FetchError(
                "cannot \(what) '\(target)': \(archive_error_string(writer).map { String(cString: $0) } ?? "unknown error")"
            )
        }
        let filter = method == .zstd ? archive_write_add_filter_zstd(writer) : archive_write_add_filter_xz(writer)
        guard filter == ARCHIVE_OK, archive_write_set_format_raw(writer) == ARCHIVE_OK,
            archive_write_open_filename(writer, target) == ARCHIVE_OK
        else { throw failure("compress to") }
        let entry = archive_entry_new()
        defer { archive_entry_free(entry) }
        archive_entry_set_filetype(entry, UInt32(Glibc.S_IFREG))
        guard archive_write_header(writer, entry) == ARCHIVE_OK else { throw failure("compress to") }
        let input = try SystemCall.retrying("cannot open '\(source)'") { open(source, O_RDONLY | O_CLOEXEC) }
        defer { close(input) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try SystemCall.retrying("cannot read '\(source)'") { read(input, &buffer, buffer.count) }
            if count == 0 { break }
            guard buffer.withUnsafeBytes({ archive_write_data(writer, $0.baseAddress, count) }) == count else {
                throw failure("write")
            }
        }
        guard archive_write_close(writer) == ARCHIVE_OK else { throw failure("finish") }
    }
}
