import DevenvProject
import DevenvStore

/// The environments the hook has loaded in shells that still run (each shell's stamp names
/// its own; stamps of shells that are gone are removed by `HookScripts.prepare`): roots for
/// garbage collection.
public struct LiveShells: LiveRoots {
    public let store: Store

    public init(store: Store) { self.store = store }

    public func liveRoots() -> [StoreRoot] {
        store.processRoots(in: HookLayout(home: store.location.home).stamps, kind: .shell, removingDead: false)
    }
}
