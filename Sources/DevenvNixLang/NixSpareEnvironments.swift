/// Environments of one slot (a plain function's argument) whose call is over and that nothing kept
/// (the body made no closure or thunk in them), made the environments of later calls instead of
/// being freed and allocated again: allocating and freeing was the largest part of a simple call.
/// They are chained through their `parent`, which a spare environment has no other use for, and
/// moved in and out of the chain rather than copied: each copy of a reference is an atomic
/// increment and decrement.
struct NixSpareEnvironments {
    private var first: NixEnvironment?
    private var count = 0
    /// Enough for the calls a loop nests in one another; more would only be memory kept.
    private static let limit = 64

    /// An environment of one slot holding `argument`.
    @inline(__always)
    mutating func take(parent: NixEnvironment, argument: NixValue) -> NixEnvironment {
        guard let environment = first.take() else {
            return NixEnvironment.make(parent: parent, first: argument, size: 1)
        }
        count -= 1
        environment.exchangeParent(&first)
        environment.reuse(parent: parent, first: argument)
        return environment
    }

    /// Keeps `environment`, which `take` gave, for a later call, unless something still holds it.
    @inline(__always)
    mutating func giveBack(_ environment: consuming NixEnvironment) {
        var environment = environment
        guard count < NixSpareEnvironments.limit, isKnownUniquelyReferenced(&environment) else { return }
        var next = first.take()
        environment.exchangeParent(&next)
        environment.reuse(first: .null)
        first = consume environment
        count += 1
    }
}
