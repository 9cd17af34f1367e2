import Foundation

/// What one evaluator's values are made of, kept until the evaluator goes away, as Nix keeps
/// its values until the garbage collector finds them unused. A value refers to its set, list,
/// string or thunk without counting the reference (`NixValue` is trivially copyable): copying,
/// matching and storing values was half of evaluation's time in reference counting. In return
/// a value must not be used after its evaluator is gone.
///
/// Objects (sets, lists, strings, nodes of parsed code, …) are kept by one counted reference each,
/// taken once when they are made. Environments and thunks, which hold nothing that needs
/// releasing, are carved out of large blocks, released all at once.
final class NixArena {
    private var objects: [AnyObject] = []
    /// Strings stored in the blocks, deinitialized when the arena goes away.
    private var strings: [UnsafeMutablePointer<NixString>] = []
    private var blocks: [UnsafeMutableRawPointer] = []
    private var next: UnsafeMutableRawPointer?
    private var left = 0
    private static let blockSize = 1 << 20

    deinit {
        for string in strings { string.deinitialize(count: 1) }
        for block in blocks { block.deallocate() }
    }

    /// `object`, kept until the arena goes away.
    @inline(__always)
    func keep<Object: AnyObject>(_ object: Object) -> Unmanaged<Object> {
        objects.append(object)
        return Unmanaged.passUnretained(object)
    }

    /// `string` in a block: smaller than an object of its own.
    @inline(__always)
    func store(_ string: NixString) -> UnsafePointer<NixString> {
        let pointer = allocate(MemoryLayout<NixString>.stride).bindMemory(to: NixString.self, capacity: 1)
        pointer.initialize(to: string)
        strings.append(pointer)
        return UnsafePointer(pointer)
    }

    /// `size` bytes aligned to 8 (what values need), valid until the arena goes away.
    @inline(__always)
    func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        let rounded = (size + 7) & ~7
        guard rounded <= left, let start = next else { return allocateBlock(rounded) }
        next = start + rounded
        left -= rounded
        return start
    }

    @inline(never)
    private func allocateBlock(_ size: Int) -> UnsafeMutableRawPointer {
        let block = UnsafeMutableRawPointer.allocate(byteCount: max(size, NixArena.blockSize), alignment: 8)
        blocks.append(block)
        guard size < NixArena.blockSize else { return block }
        next = block + size
        left = NixArena.blockSize - size
        return block
    }

    // MARK: The arena values are made in

    /// The arena of the evaluator running on this thread: values made without an evaluator at
    /// hand (by built-ins, the printer's helpers, …) belong to it. Each of the evaluator's entry
    /// points makes its own current for what it runs.
    static var current: NixArena {
        @inline(__always) get {
            guard let arena = pthread_getspecific(currentKey) else {
                fatalError("a Nix value was made outside any evaluation")
            }
            return Unmanaged<NixArena>.fromOpaque(arena).takeUnretainedValue()
        }
    }

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body` with this arena current, then restores the one before.
    @inline(__always)
    func enter<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(NixArena.currentKey)
        let this = Unmanaged.passUnretained(self).toOpaque()
        if previous == this { return try body() }
        pthread_setspecific(NixArena.currentKey, this)
        defer { pthread_setspecific(NixArena.currentKey, previous) }
        return try body()
    }

    /// Makes this arena current on this thread, for an evaluation entered from within (a thunk
    /// forced by a host through `force`); the next entry point replaces it.
    func makeCurrent() {
        pthread_setspecific(NixArena.currentKey, Unmanaged.passUnretained(self).toOpaque())
    }
}
