/// A suspended computation: an expression in its environment, or a built-in's deferred work (the
/// elements of `map f list` are each `f x`, computed only when used). Forcing it twice while the
/// first is still running is infinite recursion, as Nix's black hole. A reference to an object of
/// the evaluator's arena.
public struct NixThunk: BitwiseCopyable {
    final class Storage {
        /// Read and written at every force; a thunk belongs to one evaluator, which is not
        /// shared between threads, so the dynamic exclusivity check would guard nothing.
        @exclusivity(unchecked) var state: State

        init(_ state: State) { self.state = state }
    }

    enum State {
        case expression(NixExpr, NixEnvironment)
        /// `function argument`, a built-in's element (`map`, `genList`, …).
        case application(NixValue, NixValue, NixPosition?)
        case deferred(() throws -> NixValue)
        case running
        case done(NixValue)
    }

    private let storage: Unmanaged<Storage>

    init(_ expression: NixExpr, _ environment: NixEnvironment, in arena: NixArena) {
        environment.capture()
        storage = arena.keep(Storage(.expression(expression, environment)))
    }

    init(in arena: NixArena, _ deferred: @escaping () throws -> NixValue) {
        storage = arena.keep(Storage(.deferred(deferred)))
    }

    init(applying function: NixValue, to argument: NixValue, at position: NixPosition?, in arena: NixArena) {
        storage = arena.keep(Storage(.application(function, argument, position)))
    }

    /// A thunk that lives as long as the process (`NixEnvironment.unset`).
    init(immortal storage: Storage) { self.storage = Unmanaged.passRetained(storage) }

    var state: State {
        @inline(__always) get { storage._withUnsafeGuaranteedRef { $0.state } }
        @inline(__always) nonmutating set { storage._withUnsafeGuaranteedRef { $0.state = newValue } }
    }

    /// Puts `state` in the thunk and gives back what it held, moving rather than copying both.
    @inline(__always)
    func exchange(_ state: inout State) {
        storage._withUnsafeGuaranteedRef { swap(&state, &$0.state) }
    }

    static func === (a: NixThunk, b: NixThunk) -> Bool { a.storage.toOpaque() == b.storage.toOpaque() }
}
