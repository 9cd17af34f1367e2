/// A suspended computation: an expression in its environment, or a built-in's deferred work (the
/// elements of `map f list` are each `f x`, computed only when used). Forcing it twice while the
/// first is still running is infinite recursion, as Nix's black hole. Memory of the evaluator's
/// arena, as environments are: copying one copies a pointer.
public struct NixThunk: BitwiseCopyable {
    enum State: BitwiseCopyable {
        case expression(NixExpr, NixEnvironment)
        /// `function argument`, a built-in's element (`map`, `genList`, …).
        case application(NixValue, NixValue, NixPosition?)
        case deferred(Unmanaged<Deferred>)
        case running
        case done(NixValue)
    }

    /// Work a built-in leaves for later, kept by the arena.
    final class Deferred {
        let work: () throws -> NixValue
        init(_ work: @escaping () throws -> NixValue) { self.work = work }
    }

    private let pointer: UnsafeMutablePointer<State>

    private init(_ state: State, in arena: NixArena) {
        pointer = arena.allocate(MemoryLayout<State>.size).bindMemory(to: State.self, capacity: 1)
        pointer.initialize(to: state)
    }

    init(_ expression: NixExpr, _ environment: NixEnvironment, in arena: NixArena) {
        environment.capture()
        self.init(.expression(expression, environment), in: arena)
    }

    init(in arena: NixArena, _ deferred: @escaping () throws -> NixValue) {
        self.init(.deferred(arena.keep(Deferred(deferred))), in: arena)
    }

    init(applying function: NixValue, to argument: NixValue, at position: NixPosition?, in arena: NixArena) {
        self.init(.application(function, argument, position), in: arena)
    }

    /// A thunk that lives as long as the process (`NixEnvironment.unset`).
    init(immortal work: @escaping () throws -> NixValue) {
        pointer = UnsafeMutablePointer<State>.allocate(capacity: 1)
        pointer.initialize(to: .deferred(Unmanaged.passRetained(Deferred(work))))
    }

    /// Read and written at every force; a thunk belongs to one evaluator, which is not shared
    /// between threads.
    var state: State {
        @inline(__always) get { pointer.pointee }
        @inline(__always) nonmutating set { pointer.pointee = newValue }
    }

    static func === (a: NixThunk, b: NixThunk) -> Bool { a.pointer == b.pointer }
}
