import Foundation

/// An attribute set: values by name, each with where it was defined. A reference to an object of
/// the evaluator's arena.
public struct NixAttrs: BitwiseCopyable {
    public struct Attr {
        public var value: NixValue
        public var position: NixPosition?
    }

    final class Storage {
        var entries: [String: Attr]
        var sortedNames: [String]?

        init(_ entries: [String: Attr]) { self.entries = entries }
    }

    private let storage: Unmanaged<Storage>

    init(_ entries: [String: Attr] = [:]) { storage = NixArena.current.keep(Storage(entries)) }

    init(minimumCapacity: Int) { self.init(Dictionary(minimumCapacity: minimumCapacity)) }

    init(values: [String: NixValue]) { self.init(values.mapValues { Attr(value: $0, position: nil) }) }

    /// A set made outside evaluation, belonging to `evaluator`.
    public init(values: [String: NixValue] = [:], in evaluator: NixEvaluator) {
        storage = evaluator.arena.keep(Storage(values.mapValues { Attr(value: $0, position: nil) }))
    }

    public var entries: [String: Attr] { storage._withUnsafeGuaranteedRef { $0.entries } }
    public var count: Int { storage._withUnsafeGuaranteedRef { $0.entries.count } }
    public subscript(name: String) -> NixValue? { storage._withUnsafeGuaranteedRef { $0.entries[name]?.value } }
    func entry(_ name: String) -> Attr? { storage._withUnsafeGuaranteedRef { $0.entries[name] } }
    var identifier: ObjectIdentifier { ObjectIdentifier(storage.takeUnretainedValue()) }

    /// Names in Nix's order: by bytes.
    public var sortedNames: [String] {
        storage._withUnsafeGuaranteedRef { storage in
            if let sorted = storage.sortedNames { return sorted }
            // Most comparisons are decided by the first eight bytes, compared as one number.
            var keyed = storage.entries.keys.map { (NixAttrs.leadingBytes(of: $0), $0) }
            keyed.sort { $0.0 != $1.0 ? $0.0 < $1.0 : NixAttrs.precedes($0.1, $1.1) }
            let sorted = keyed.map(\.1)
            storage.sortedNames = sorted
            return sorted
        }
    }

    /// The first eight bytes of the UTF-8 as a big-endian number, zeros after a shorter name:
    /// two names whose numbers differ are in the numbers' order.
    private static func leadingBytes(of name: String) -> UInt64 {
        var name = name
        return name.withUTF8 { bytes in
            var leading: UInt64 = 0
            for index in 0..<8 { leading = leading << 8 | (index < bytes.count ? UInt64(bytes[index]) : 0) }
            return leading
        }
    }

    static func precedes(_ a: String, _ b: String) -> Bool {
        // Byte order of the UTF-8, by `memcmp` when both are contiguous (native strings are).
        let order = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order != 0 ? order < 0 : x.count < y.count
            }
        }
        if let order, let order { return order }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Only while the set is being built, before anyone else sees it.
    public func set(_ name: String, _ value: NixValue, at position: NixPosition? = nil) {
        storage._withUnsafeGuaranteedRef { storage in
            storage.entries[name] = Attr(value: value, position: position)
            storage.sortedNames = nil
        }
    }

    /// Keeps a forced value, so the next lookup need not go through the thunk.
    func store(_ name: String, _ value: NixValue) {
        storage._withUnsafeGuaranteedRef { $0.entries[name]?.value = value }
    }
}
