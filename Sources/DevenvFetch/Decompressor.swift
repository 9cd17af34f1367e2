import CArchive
import DevenvBasics
import Glibc

/// A compressed file (xz, gzip, zstd, bzip2, or not compressed) read decompressed, a buffer at a
/// time, so that what reads it (the NAR reader) streams from the compressed file directly.
public final class Decompressor {
    private let reader: OpaquePointer?
    private let path: String
    /// What is left of the block libarchive gave last.
    private var block = UnsafeRawBufferPointer(start: nil, count: 0)
    private var finished = false
    /// What libarchive reads, when it reads a source rather than a file.
    private let feed: Feed?

    public convenience init(_ path: String) throws {
        try self.init(name: path) { archive_read_open_filename($0, path, 1 << 16) }
    }

    /// What `source` gives (as much as it has, 0 at the end), named `name` in errors; when
    /// `compression` is given ("xz", "bzip2" or "gzip", as a narinfo names it), the stream must be
    /// compressed so.
    public convenience init(
        name: String, compression: String? = nil, source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws {
        // Only that one filter is known to libarchive then: no other is tried on a cache's bytes
        // (some run programs), and what it does not find read is not compressed so.
        let filters: [String: (code: Int32, support: (OpaquePointer?) -> Int32)] = [
            "xz": (ARCHIVE_FILTER_XZ, archive_read_support_filter_xz),
            "bzip2": (ARCHIVE_FILTER_BZIP2, archive_read_support_filter_bzip2),
            "gzip": (ARCHIVE_FILTER_GZIP, archive_read_support_filter_gzip),
        ]
        let filter = try compression.map { compression in
            guard let filter = filters[compression] else {
                throw FetchError("cannot decompress '\(name)': devenv does not read \(compression)")
            }
            return filter
        }
        let feed = Feed(source)
        try self.init(name: name, feed: feed, filter: filter?.support) {
            archive_read_open($0, Unmanaged.passUnretained(feed).toOpaque(), nil, Feed.read, nil)
        }
        if let compression, let filter, archive_filter_code(reader, 0) != filter.code {
            throw FetchError("cannot decompress '\(name)': it is not compressed with \(compression)")
        }
    }

    /// `filter` registers the one filter to read with; without one, every filter libarchive has.
    private init(
        name path: String, feed: Feed? = nil, filter: ((OpaquePointer?) -> Int32)? = nil,
        open: (OpaquePointer?) -> Int32
    ) throws {
        self.path = path
        self.feed = feed
        reader = archive_read_new()
        if let filter { _ = filter(reader) } else { archive_read_support_filter_all(reader) }
        archive_read_support_format_raw(reader)
        var entry: OpaquePointer?
        guard open(reader) == ARCHIVE_OK, archive_read_next_header(reader, &entry) == ARCHIVE_OK else {
            // `deinit` frees the reader: it runs for a class whose init throws once all is set.
            throw FetchError("cannot decompress '\(path)': \(Decompressor.message(reader))")
        }
    }

    deinit { archive_read_free(reader) }

    /// Fills `buffer` with the next decompressed bytes; how many, 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while block.isEmpty && !finished {
            var start: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            let status = archive_read_data_block(reader, &start, &size, &offset)
            if status == ARCHIVE_EOF {
                finished = true
            } else if status != ARCHIVE_OK {
                if let failure = feed?.failure { throw failure }
                throw FetchError("cannot read '\(path)': \(Decompressor.message(reader))")
            } else {
                block = UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : size)
            }
        }
        let n = min(block.count, buffer.count)
        guard n > 0 else { return 0 }
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: block[..<n]))
        block = UnsafeRawBufferPointer(rebasing: block[n...])
        return n
    }

    private static func message(_ reader: OpaquePointer?) -> String {
        archive_error_string(reader).map { String(cString: $0) } ?? "unknown error"
    }
}

/// A source as libarchive reads it: a block at a time, through a C callback.
private final class Feed {
    private let source: (UnsafeMutableRawBufferPointer) throws -> Int
    private let block = BufferPool.shared.take(1 << 20)
    /// The source's own error, thrown instead of libarchive's account of it.
    private(set) var failure: (any Error)?

    init(_ source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) { self.source = source }

    deinit { BufferPool.shared.give(block) }

    static let read:
        @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeRawPointer?>?)
            -> la_ssize_t = { _, context, buffer in
                let feed = Unmanaged<Feed>.fromOpaque(context!).takeUnretainedValue()
                do {
                    let n = try feed.source(feed.block)
                    buffer?.pointee = UnsafeRawPointer(feed.block.baseAddress)
                    return la_ssize_t(n)
                } catch {
                    feed.failure = error
                    return -1
                }
            }
}
