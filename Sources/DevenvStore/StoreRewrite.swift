import DevenvBasics
import Glibc

/// Renames a closure's paths from one store directory into another of the same length, in the
/// bytes of a NAR: every `FROM/` becomes `TO/` and every hash part of the closure its
/// counterpart's, so names, link targets and contents (interpreters, RUNPATHs, `#!` lines) name
/// the new store. Equal lengths keep the NAR's framing and every offset inside a binary intact,
/// which is why default store directories are padded to one length (docs/store.md).
public struct StoreRewrite: Sendable {
    private let from: [UInt8]
    private let to: [UInt8]
    private let hashParts: [HashPartKey: [UInt8]]

    /// `paths`: each path of the closure in `from` → its counterpart in `to`.
    public init(from: StoreDirectory, to: StoreDirectory, paths: [StorePath: StorePath]) throws {
        guard from.path.utf8.count == to.path.utf8.count else {
            throw StoreError(
                "\(from.path) (\(from.path.utf8.count) bytes) cannot be rewritten into \(to.path) "
                    + "(\(to.path.utf8.count) bytes): store directories must have the same length")
        }
        self.from = Array((from.path + "/").utf8)
        self.to = Array((to.path + "/").utf8)
        var hashParts: [HashPartKey: [UInt8]] = [:]
        for (old, new) in paths where old.hashPart != new.hashPart {
            Array(old.hashPart.utf8).withUnsafeBytes { hashParts[HashPartKey($0)] = Array(new.hashPart.utf8) }
        }
        self.hashParts = hashParts
    }

    /// Copies the file at `input` to a new file at `output`, rewritten; the SHA-256 of what it
    /// wrote.
    public func rewrite(_ input: String, to output: String) throws -> Hash {
        let source = try SystemCall.retrying("cannot open '\(input)'") { open(input, O_RDONLY | O_CLOEXEC) }
        defer { close(source) }
        let target = try SystemCall.retrying("cannot create '\(output)'") {
            open(output, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        defer { close(target) }
        let step = 1 << 20
        // A match that starts in a window's first `step` bytes ends inside it; the rest of the
        // window is kept, as rewritten, for the next.
        let overlap = max(from.count, StorePath.hashPartLength) - 1
        var window = [UInt8](repeating: 0, count: step + overlap)
        var kept = 0
        var resume = 0
        let hasher = HashingSink(.sha256)
        while true {
            let count =
                try kept
                + window.withUnsafeMutableBytes {
                    try SystemCall.readFully(
                        source, UnsafeMutableRawBufferPointer(rebasing: $0[kept...]), "cannot read '\(input)'")
                }
            let starts = count == window.count ? step : count
            try window.withUnsafeMutableBytes { bytes in
                resume = rewrite(UnsafeMutableRawBufferPointer(rebasing: bytes[..<count]), from: resume, before: starts)
                let done = UnsafeRawBufferPointer(rebasing: bytes[..<starts])
                try SystemCall.writeAll(target, done, "cannot write '\(output)'")
                hasher.consume(done)
                bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[starts..<count]))
            }
            if count < window.count { break }
            kept = count - starts
            resume -= starts
        }
        return hasher.finalize()
    }

    /// Rewrites `bytes` in place (a file's contents or a link's target held whole).
    public func rewrite(_ bytes: inout [UInt8]) {
        let count = bytes.count
        guard count > 0 else { return }
        bytes.withUnsafeMutableBytes { _ = rewrite($0, from: 0, before: count) }
    }

    /// `text` rewritten (a variable's value, a link's target).
    public func rewrite(_ text: String) -> String {
        var bytes = Array(text.utf8)
        rewrite(&bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Rewrites the matches that start in `first..<starts`; where the scan stopped (past the
    /// last match, which may end after `starts`).
    private func rewrite(_ buffer: UnsafeMutableRawBufferPointer, from first: Int, before starts: Int) -> Int {
        let width = StorePath.hashPartLength
        let count = buffer.count
        let bytes = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let slash = from[0]
        return Nix32.digitValues.withUnsafeBufferPointer { values in
            func isDigit(_ byte: UInt8) -> Bool { values[Int(byte)] != 0xFF }
            var i = first
            while i < starts {
                let byte = bytes[i]
                if byte == slash {
                    if i + from.count <= count && memcmp(bytes + i, from, from.count) == 0 {
                        memcpy(bytes + i, to, to.count)
                        i += from.count
                    } else {
                        i += 1
                    }
                    continue
                }
                guard isDigit(byte), i + width <= count else {
                    i += 1
                    continue
                }
                // Checked from the end: a byte outside the alphabet lets the scan skip past it,
                // but not past a `/` where the store directory may start.
                var j = width - 1
                while j > 0 && isDigit(bytes[i + j]) { j -= 1 }
                if j > 0 {
                    let next = memchr(bytes + i + 1, Int32(slash), j)
                    i = next.map { $0.assumingMemoryBound(to: UInt8.self) - bytes } ?? i + j + 1
                    continue
                }
                if let new = hashParts[HashPartKey(UnsafeRawBufferPointer(start: bytes + i, count: width))] {
                    memcpy(bytes + i, new, width)
                    i += width
                } else {
                    i += 1
                }
            }
            return i
        }
    }
}
