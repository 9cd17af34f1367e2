/// Finds which candidate store paths a NAR mentions, by looking for their 32-character hash parts
/// anywhere in the bytes (file contents, names and symlink targets), as Nix does
/// (docs/nix-formats.md §4.2). Matches that span two chunks are found too.
public struct ReferenceScanner: NarSink {
    private typealias Key = HashPartKey
    private static let width = StorePath.hashPartLength
    private var candidates: [Key: StorePath] = [:]
    /// The last `width - 1` bytes seen, to catch a hash part cut by a chunk boundary.
    private var tail: [UInt8] = []
    public private(set) var found: Set<StorePath> = []

    public init(candidates: [StorePath]) {
        for path in candidates {
            Array(path.hashPart.utf8).withUnsafeBytes { self.candidates[Key($0)] = path }
        }
    }

    public mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard !candidates.isEmpty else { return }
        if !tail.isEmpty {
            let seam = tail + chunk.prefix(Self.width - 1)
            seam.withUnsafeBytes { scan($0) }
        }
        scan(chunk)
        tail = Array((tail + chunk.suffix(Self.width - 1)).suffix(Self.width - 1))
    }

    private mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        while i + Self.width <= bytes.count {
            // Check the window from its end: a byte outside the alphabet lets us skip past it.
            var j = Self.width - 1
            while j >= 0 && Nix32.isDigit(bytes[i + j]) { j -= 1 }
            if j >= 0 {
                i += j + 1
                continue
            }
            let key = Key(UnsafeRawBufferPointer(rebasing: bytes[i..<i + Self.width]))
            if let path = candidates.removeValue(forKey: key) {
                found.insert(path)
                if candidates.isEmpty { return }
            }
            i += 1
        }
    }
}

/// A hash part as a value that hashes fast.
struct HashPartKey: Hashable {
    var a, b, c, d: UInt64

    init(_ bytes: UnsafeRawBufferPointer) {
        a = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        b = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        c = bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        d = bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }
}
