/// Environments of one slot (a plain function's argument) whose call is over and that nothing
/// captured (the body made no closure, thunk or inner environment in them), made the
/// environments of later calls: otherwise each call would take new memory from the arena, kept
/// until the evaluator goes away. They are chained through their `parent`, which a spare
/// environment has no other use for.
struct NixSpareEnvironments {
    private var first: NixEnvironment?

    /// An environment of one slot holding `argument`.
    @inline(__always)
    mutating func take(in arena: NixArena, parent: NixEnvironment, argument: NixValue) -> NixEnvironment {
        guard let environment = first else { return NixEnvironment(callIn: arena, parent: parent, argument: argument) }
        first = environment.parent
        environment.reuse(parent: parent, first: argument)
        return environment
    }

    /// Keeps `environment`, which `take` gave, for a later call, unless something captured it.
    /// Returns whether it was kept: when not, its parent (another call's, `a` of `a: b: …`) is
    /// still referred to through it.
    @inline(__always)
    @discardableResult
    mutating func giveBack(_ environment: NixEnvironment) -> Bool {
        guard !environment.isCaptured else { return false }
        environment.reuse(parent: first, first: .null)
        first = environment
        return true
    }
}
