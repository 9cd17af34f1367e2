import CArchive
import DevenvBasics
import DevenvStore
import Glibc

/// Compresses a stream (a NAR as it is dumped, an image's layer) into a new file as one raw
/// stream, what a binary cache's `nar/….nar.zst` is, on several threads where the method allows.
/// The output depends only on the input: gzip's header has no timestamp.
public final class Compressor: NarSink {
    public enum Method: String, Sendable, CaseIterable {
        case zstd
        case xz
        case gzip

        /// The file extension a binary cache gives it.
        public var fileExtension: String {
            switch self {
            case .zstd: ".zst"
            case .xz: ".xz"
            case .gzip: ".gz"
            }
        }
    }

    /// zstd's frames, written to a descriptor (closed at the end when it is the file's).
    private let frames: ZstdFrameWriter?
    private let file: Int32?
    /// libarchive's filter for the other methods.
    private let writer: OpaquePointer?
    private let entry: OpaquePointer?
    private let target: String

    /// Starts the new file `target`, compressed with `method` by `threads` threads.
    /// Never through a link at `target` (a cache directory may have them planted): opened here,
    /// not by libarchive, which would follow one.
    public convenience init(to target: String, with method: Method, threads: Int = 1) throws {
        let fd = try SystemCall.retrying("cannot create '\(target)'") {
            open(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o666)
        }
        if method == .zstd {
            self.init(named: target, framesTo: fd, closing: true, threads: threads)
        } else {
            // Closed by `deinit`, also when this fails (everything is initialized before anything can).
            try self.init(named: target, with: method, threads: threads, closing: fd) { archive_write_open_fd($0, fd) }
        }
    }

    /// Compresses into the open descriptor `fd` (a connection), which stays open.
    public convenience init(toDescriptor fd: Int32, with method: Method, threads: Int = 1) throws {
        if method == .zstd {
            self.init(named: "the connection", framesTo: fd, closing: false, threads: threads)
        } else {
            try self.init(named: "the connection", with: method, threads: threads, closing: nil) {
                archive_write_open_fd($0, fd)
            }
        }
    }

    /// zstd as independent frames (`ZstdFrameWriter`), which a substituter decompresses on
    /// several threads.
    private init(named target: String, framesTo fd: Int32, closing: Bool, threads: Int) {
        self.target = target
        frames = ZstdFrameWriter(threads: threads) { bytes in
            try SystemCall.writeAll(fd, bytes, "cannot write '\(target)'")
        }
        file = closing ? fd : nil
        writer = nil
        entry = nil
    }

    private init(
        named target: String, with method: Method, threads: Int, closing fd: Int32?, open: (OpaquePointer?) -> Int32
    ) throws {
        self.target = target
        frames = nil
        file = fd
        writer = archive_write_new()
        entry = archive_entry_new()
        let filter =
            switch method {
            case .zstd: archive_write_add_filter_zstd(writer)
            case .xz: archive_write_add_filter_xz(writer)
            case .gzip: archive_write_add_filter_gzip(writer)
            }
        guard filter == ARCHIVE_OK, archive_write_set_format_raw(writer) == ARCHIVE_OK else {
            throw failure("compress to")
        }
        if method == .gzip { _ = archive_write_set_filter_option(writer, "gzip", "timestamp", nil) }
        // Where the library cannot use threads, one does it.
        _ = archive_write_set_filter_option(writer, method.rawValue, "threads", String(max(1, threads)))
        // The stream ends where the compressor ends it, not padded to a block (a socket would be).
        archive_write_set_bytes_in_last_block(writer, 1)
        guard open(writer) == ARCHIVE_OK else { throw failure("compress to") }
        archive_entry_set_filetype(entry, UInt32(Glibc.S_IFREG))
        guard archive_write_header(writer, entry) == ARCHIVE_OK else { throw failure("compress to") }
    }

    deinit {
        if let file { close(file) }
        archive_entry_free(entry)
        archive_write_free(writer)
    }

    public func consume(_ chunk: UnsafeRawBufferPointer) throws {
        guard chunk.count > 0 else { return }
        if let frames { return try frames.consume(chunk) }
        guard archive_write_data(writer, chunk.baseAddress, chunk.count) == chunk.count else { throw failure("write") }
    }

    /// Ends the stream and the file.
    public func finish() throws {
        if let frames { return try frames.finish() }
        guard archive_write_close(writer) == ARCHIVE_OK else { throw failure("finish") }
    }

    private func failure(_ what: String) -> FetchError {
        FetchError(
            "cannot \(what) '\(target)': \(archive_error_string(writer).map { String(cString: $0) } ?? "unknown error")"
        )
    }
}
