import DevenvStore
import Foundation

/// The paths of a closure being substituted, worked off by several threads: each path's NAR is
/// taken in turn, the largest first; once unpacked it waits for its references to become valid;
/// a path that cannot be had fails the paths that refer to it.
final class ClosureGraph: @unchecked Sendable {
    private let lock = NSLock()
    private let sources: [StorePath: Substituter.Source]
    private var order: [StorePath]
    /// The references of each path not valid yet, and the paths that refer to each.
    private var waitingFor: [StorePath: Set<StorePath>] = [:]
    private var referrers: [StorePath: [StorePath]] = [:]
    private var unpacked: [StorePath: Substituter.Staged] = [:]
    private(set) var failed: Set<StorePath> = []

    init(_ sources: [StorePath: Substituter.Source]) {
        self.sources = sources
        // Taken from the end: the smallest first there.
        order = sources.keys.sorted {
            (sources[$0]!.info.narSize, $0.baseName) < (sources[$1]!.info.narSize, $1.baseName)
        }
        for (path, source) in sources {
            let references = Set(source.references.filter { $0 != path && sources[$0] != nil })
            waitingFor[path] = references
            for reference in references { referrers[reference, default: []].append(path) }
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// The next path to unpack and where from, nil once all are taken.
    func next() -> (StorePath, Substituter.Source)? {
        locked {
            while let path = order.popLast() {
                if !failed.contains(path) { return (path, sources[path]!) }
            }
            return nil
        }
    }

    /// `path` is unpacked (`staged`) or cannot be had (nil): the paths now ready to be made valid.
    func unpacked(_ path: StorePath, _ staged: Substituter.Staged?) -> [(StorePath, Substituter.Staged)] {
        locked {
            guard let staged, !failed.contains(path) else {
                fail(path)
                return []
            }
            guard waitingFor[path]!.isEmpty else {
                unpacked[path] = staged
                return []
            }
            return [(path, staged)]
        }
    }

    /// `path` is valid now (or could not be made valid): the paths now ready to be made valid.
    func valid(_ path: StorePath, failed: Bool = false) -> [(StorePath, Substituter.Staged)] {
        locked {
            guard !failed else {
                fail(path)
                return []
            }
            var ready: [(StorePath, Substituter.Staged)] = []
            for referrer in referrers[path] ?? [] {
                waitingFor[referrer]!.remove(path)
                if waitingFor[referrer]!.isEmpty, let staged = unpacked.removeValue(forKey: referrer) {
                    ready.append((referrer, staged))
                }
            }
            return ready
        }
    }

    /// Fails `path` and what refers to it, directly or not.
    private func fail(_ path: StorePath) {
        var failing = [path]
        while let path = failing.popLast() {
            guard failed.insert(path).inserted else { continue }
            unpacked[path] = nil
            failing += referrers[path] ?? []
        }
    }

    /// The paths unpacked that still wait for their references once all are done: references
    /// that form a cycle (which only a hostile cache can give).
    func waiting() -> [(StorePath, Substituter.Source)] {
        locked { unpacked.keys.sorted { $0.baseName < $1.baseName }.map { ($0, sources[$0]!) } }
    }
}
