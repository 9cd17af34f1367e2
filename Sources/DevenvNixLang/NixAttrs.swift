import Foundation

/// An attribute set: values by name, each with where it was defined. A reference to an object of
/// the evaluator's arena. As Nix's `Bindings`, the attributes are an array sorted by name (Nix's
/// order, by bytes), found by binary search: a hash table per set took several times the memory,
/// and each set lives as long as its evaluator.
public struct NixAttrs: BitwiseCopyable {
    public struct Attr {
        public var value: NixValue
        public var position: NixPosition?
    }

    struct Entry {
        let name: String
        var attr: Attr
    }

    final class Storage {
        /// Sorted by name, each name once, unless `sorted` is false: then in the order `set`
        /// added them, a later one of a name replacing the earlier.
        var entries: [Entry]
        var sorted: Bool

        init(_ entries: [Entry], sorted: Bool) {
            self.entries = entries
            self.sorted = sorted
        }

        @inline(__always)
        func sortIfNeeded() { if !sorted { sort() } }

        private func sort() {
            if entries.count <= 16 {
                sortSmall()
            } else {
                sortLarge()
            }
            keepLastOfEachName()
            sorted = true
        }

        /// In place, by insertion, which keeps the order of equal names.
        private func sortSmall() {
            for index in entries.indices.dropFirst() {
                var position = index
                while position > 0 && NixAttrs.precedes(entries[index].name, entries[position - 1].name) {
                    position -= 1
                }
                if position < index { entries.insert(entries.remove(at: index), at: position) }
            }
        }

        /// By name, then by when it was set.
        private func sortLarge() {
            var keyed = entries.indices.map { (NixAttrs.leadingBytes(of: entries[$0].name), $0) }
            keyed.sort { a, b in
                if a.0 != b.0 { return a.0 < b.0 }
                let x = entries[a.1].name
                let y = entries[b.1].name
                if x != y { return NixAttrs.precedes(x, y) }
                return a.1 < b.1
            }
            entries = keyed.map { entries[$0.1] }
        }

        /// Of the entries of one name, sorted in the order they were set, the last.
        private func keepLastOfEachName() {
            var kept = 0
            for index in entries.indices {
                if kept > 0 && entries[kept - 1].name == entries[index].name {
                    entries[kept - 1] = entries[index]
                } else {
                    entries.swapAt(kept, index)
                    kept += 1
                }
            }
            entries.removeLast(entries.count - kept)
        }

        func index(of name: String) -> Int? {
            sortIfNeeded()
            // A small set, most of them, is searched in order: equal names compare fastest.
            if entries.count <= 8 {
                for index in entries.indices where entries[index].name == name { return index }
                return nil
            }
            var low = 0
            var high = entries.count
            while low < high {
                let middle = (low + high) / 2
                let order = NixAttrs.order(entries[middle].name, name)
                if order == 0 { return middle }
                if order < 0 { low = middle + 1 } else { high = middle }
            }
            return nil
        }
    }

    private let storage: Unmanaged<Storage>

    private init(storage: Storage, in arena: NixArena = .current) { self.storage = arena.keep(storage) }

    init() { self.init(storage: Storage([], sorted: true)) }

    init(minimumCapacity: Int) {
        var entries: [Entry] = []
        entries.reserveCapacity(minimumCapacity)
        self.init(storage: Storage(entries, sorted: true))
    }

    init(values: [String: NixValue], in arena: NixArena = .current) {
        self.init(
            storage: Storage(values.map { Entry(name: $0.key, attr: Attr(value: $0.value)) }, sorted: false), in: arena)
    }

    /// A set of `entries` already sorted by name, each name once.
    init(sorted entries: [Entry]) { self.init(storage: Storage(entries, sorted: true)) }

    /// A set of `entries` in any order; of a repeated name, the last.
    init(unsorted entries: [Entry]) { self.init(storage: Storage(entries, sorted: false)) }

    /// A set made outside evaluation, belonging to `evaluator`.
    public init(values: [String: NixValue] = [:], in evaluator: NixEvaluator) {
        self.init(values: values, in: evaluator.arena)
    }

    /// The attributes in Nix's order of names.
    var sortedEntries: [Entry] {
        storage._withUnsafeGuaranteedRef {
            $0.sortIfNeeded()
            return $0.entries
        }
    }

    public var count: Int {
        storage._withUnsafeGuaranteedRef {
            $0.sortIfNeeded()
            return $0.entries.count
        }
    }

    public subscript(name: String) -> NixValue? {
        storage._withUnsafeGuaranteedRef { storage in storage.index(of: name).map { storage.entries[$0].attr.value } }
    }

    /// The attribute `name`, with where it was defined.
    public func entry(_ name: String) -> Attr? {
        storage._withUnsafeGuaranteedRef { storage in storage.index(of: name).map { storage.entries[$0].attr } }
    }

    var identifier: ObjectIdentifier { ObjectIdentifier(storage.takeUnretainedValue()) }

    /// Names in Nix's order: by bytes.
    public var sortedNames: [String] { sortedEntries.map(\.name) }

    /// The first eight bytes of the UTF-8 as a big-endian number, zeros after a shorter name:
    /// two names whose numbers differ are in the numbers' order.
    static func leadingBytes(of name: String) -> UInt64 {
        var name = name
        return name.withUTF8 { bytes in
            var leading: UInt64 = 0
            for index in 0..<8 { leading = leading << 8 | (index < bytes.count ? UInt64(bytes[index]) : 0) }
            return leading
        }
    }

    static func precedes(_ a: String, _ b: String) -> Bool { order(a, b) < 0 }

    /// The byte order of two names' UTF-8: negative, zero (the same bytes) or positive.
    static func order(_ a: String, _ b: String) -> Int {
        // By `memcmp` when both are contiguous (native strings are).
        let order = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : Int(memcmp(x.baseAddress!, y.baseAddress!, common))
                return order != 0 ? order : x.count - y.count
            }
        }
        if let order, let order { return order }
        if a.utf8.elementsEqual(b.utf8) { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }

    /// Only while the set is being built, before anyone else sees it.
    public func set(_ name: String, _ value: NixValue, at position: NixPosition? = nil) {
        storage._withUnsafeGuaranteedRef { storage in
            // Names added in order, as a sorted set's are copied, keep it sorted.
            if storage.sorted, let last = storage.entries.last, !NixAttrs.precedes(last.name, name) {
                storage.sorted = false
            }
            storage.entries.append(Entry(name: name, attr: Attr(value: value, position: position)))
        }
    }

    /// `self // other`: one pass over both sorted arrays, `other`'s attribute where both have a name.
    func updated(with other: NixAttrs) -> NixAttrs {
        let a = sortedEntries
        let b = other.sortedEntries
        var result: [Entry] = []
        result.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            if a[i].name == b[j].name {
                result.append(b[j])
                i += 1
                j += 1
            } else if NixAttrs.precedes(a[i].name, b[j].name) {
                result.append(a[i])
                i += 1
            } else {
                result.append(b[j])
                j += 1
            }
        }
        result += a[i...]
        result += b[j...]
        return NixAttrs(sorted: result)
    }

    /// Keeps a forced value, so the next lookup need not go through the thunk.
    func store(_ name: String, _ value: NixValue) {
        storage._withUnsafeGuaranteedRef { storage in
            if let index = storage.index(of: name) { storage.entries[index].attr.value = value }
        }
    }
}
