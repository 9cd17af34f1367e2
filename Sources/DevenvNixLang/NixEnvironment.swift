/// The values of one scope at run time (see `NixScope`); a `with`'s holds its set in slot 0.
/// Memory of the evaluator's arena: a header, then the slots. Copying one copies a pointer.
public struct NixEnvironment: BitwiseCopyable {
    private let base: UnsafeMutableRawPointer

    private struct Header {
        var parent: NixEnvironment?
        let with: NixNode<NixWith>?
        /// Whether a thunk, a function value or an inner environment may refer to this one, so
        /// that it must outlive its call (see `NixSpareEnvironments`).
        var captured: Bool
    }

    private static let slotsOffset =
        (MemoryLayout<Header>.size + MemoryLayout<NixValue>.alignment - 1) & ~(MemoryLayout<NixValue>.alignment - 1)

    @inline(__always)
    private var header: UnsafeMutablePointer<Header> { base.assumingMemoryBound(to: Header.self) }

    @inline(__always)
    private var slots: UnsafeMutablePointer<NixValue> {
        (base + NixEnvironment.slotsOffset).assumingMemoryBound(to: NixValue.self)
    }

    /// Marks `parent` captured unless told not to (a plain call's, see `init(callIn:…)`).
    @inline(__always)
    private init(
        in arena: NixArena, parent: NixEnvironment?, count: Int, with: NixNode<NixWith>? = nil,
        capturingParent: Bool = true
    ) {
        base = arena.allocate(NixEnvironment.slotsOffset + count * MemoryLayout<NixValue>.stride)
        base.initializeMemory(
            as: Header.self,
            repeating: Header(parent: parent, with: with, captured: false),
            count: 1)
        if capturingParent { parent?.capture() }
    }

    init(in arena: NixArena, parent: NixEnvironment?, values: [NixValue]) {
        self.init(in: arena, parent: parent, count: values.count)
        _ = UnsafeMutableBufferPointer(start: slots, count: values.count).initialize(from: values)
    }

    /// An environment whose slots are filled after it is made: until then each holds `unset`.
    @inline(__always)
    init(in arena: NixArena, parent: NixEnvironment?, size: Int) {
        self.init(in: arena, parent: parent, count: size)
        slots.initialize(repeating: .thunk(NixEnvironment.unset), count: size)
    }

    /// `first` in slot 0, the others (if any) `unset`: a function's argument, a `with`'s set.
    @inline(__always)
    init(in arena: NixArena, parent: NixEnvironment?, first: NixValue, size: Int, with: NixNode<NixWith>? = nil) {
        self.init(in: arena, parent: parent, count: size, with: with)
        slots.initialize(to: first)
        if size > 1 { (slots + 1).initialize(repeating: .thunk(NixEnvironment.unset), count: size - 1) }
    }

    /// A plain call's environment of one slot (`NixSpareEnvironments`), which does not mark its
    /// parent captured: when nothing captured it either, it ends with its call.
    @inline(__always)
    init(callIn arena: NixArena, parent: NixEnvironment, argument: NixValue) {
        self.init(in: arena, parent: parent, count: 1, capturingParent: false)
        slots.initialize(to: argument)
    }

    var parent: NixEnvironment? { @inline(__always) get { header.pointee.parent } }
    var with: NixNode<NixWith>? { header.pointee.with }
    var isCaptured: Bool { @inline(__always) get { header.pointee.captured } }

    /// Notes that something that may outlive the current call refers to this environment.
    @inline(__always)
    func capture() { header.pointee.captured = true }

    /// Made the environment of another plain call (`NixSpareEnvironments`).
    @inline(__always)
    func reuse(parent: NixEnvironment?, first: NixValue) {
        header.pointee.parent = parent
        slots.pointee = first
    }

    subscript(index: Int) -> NixValue {
        @inline(__always) get { slots[index] }
        @inline(__always) nonmutating set { slots[index] = newValue }
    }

    /// What a slot holds before its value is put there (a `rec` set's, a `let`'s, a default
    /// argument's): a reference to it is then made a thunk, not a copy of the slot.
    nonisolated(unsafe) static let unset = NixThunk(immortal: {
        throw NixEvalError("internal error: a variable was used before it was set")
    })
}
