import DevenvStore
import Foundation

/// The paths of a closure being substituted, worked off by several threads at once. The
/// narinfos are asked for a level of references at a time (so a path's depth is its shortest
/// distance from the root); a path whose whole closure is known to come from the caches (or to be
/// valid already) is `complete`, and its NAR is unpacked, the largest first, while the narinfos
/// of other paths are still being asked for; once unpacked, a path becomes valid when its
/// references are. A path that cannot be had fails the paths that refer to it, before any of
/// their NARs is fetched.
final class ClosureGraph: @unchecked Sendable {
    enum Task {
        case ask(StorePath, depth: Int)
        case unpack(StorePath, Substituter.Source)
    }

    /// The path whose closure this is.
    let root: StorePath
    private let condition = NSCondition()
    /// The level of references being asked for (`depth` from the root), how many of it are
    /// taken, and the next level, asked for once all of this one is answered.
    private var level: [StorePath]
    private var taken = 0
    private var nextLevel: [StorePath] = []
    private var depth = 0
    private var seen: Set<StorePath>
    private var sources: [StorePath: Substituter.Source] = [:]
    /// Of each path with a source: its references not complete yet, and those not valid yet.
    private var incomplete: [StorePath: Set<StorePath>] = [:]
    private var waitingFor: [StorePath: Set<StorePath>] = [:]
    private var referrers: [StorePath: [StorePath]] = [:]
    private var complete: Set<StorePath> = []
    private var valid: Set<StorePath> = []
    /// Complete paths whose NAR is not taken yet, the largest last (failed ones are dropped as
    /// they come up).
    private var ready: [StorePath] = []
    private var unpacked: [StorePath: Substituter.Staged] = [:]
    private(set) var failed: Set<StorePath> = []
    private var asking = 0
    private var unpacking = 0
    /// While narinfos are still to be asked for, NARs are unpacked on at most this many threads
    /// (the others ask): unpacking is work for the processor, asking mostly waiting.
    private let unpackersWhileAsking: Int
    /// Set by `stop`: nothing more is started.
    private(set) var stopped = false

    init(root: StorePath, unpackersWhileAsking: Int) {
        self.root = root
        level = [root]
        seen = [root]
        self.unpackersWhileAsking = max(1, unpackersWhileAsking)
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return body()
    }

    /// The next thing to do, waiting while there is none yet but some may come; nil once all is
    /// done (or stopped).
    func next() -> Task? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while let last = ready.last, failed.contains(last) { ready.removeLast() }
            if taken == level.count, asking == 0, !nextLevel.isEmpty {
                (level, nextLevel, taken) = (nextLevel, [], 0)
                depth += 1
            }
            let asksLeft = taken < level.count
            if !stopped, let path = ready.last, unpacking < unpackersWhileAsking || !asksLeft {
                ready.removeLast()
                unpacking += 1
                return .unpack(path, sources[path]!)
            }
            if !stopped, asksLeft {
                taken += 1
                asking += 1
                return .ask(level[taken - 1], depth: depth)
            }
            if asking == 0 && unpacking == 0 { return nil }
            condition.wait()
        }
    }

    /// Where `path` goes in `ready`: after every smaller one (ties by name).
    private func readyIndex(of path: StorePath) -> Int {
        func size(_ path: StorePath) -> (UInt64, String) { (sources[path]!.info.narSize, path.baseName) }
        let key = size(path)
        var (low, high) = (0, ready.count)
        while low < high {
            let middle = (low + high) / 2
            if size(ready[middle]) < key {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// An asked-for path has `source`; its references not seen yet are to be asked for in the next
    /// level. Returns what to say: a reference known not to be had fails it (and none of its
    /// references is asked for then).
    func found(_ path: StorePath, _ source: Substituter.Source) -> [String] {
        locked {
            asking -= 1
            sources[path] = source
            let references = Set(source.references.filter { $0 != path && !valid.contains($0) })
            if let lacking = references.filter(failed.contains).min(by: { $0.baseName < $1.baseName }) {
                return fail(path, because: lacking, saying: !stopped)
            }
            var open: Set<StorePath> = []
            for reference in references {
                referrers[reference, default: []].append(path)
                if !complete.contains(reference) { open.insert(reference) }
                if seen.insert(reference).inserted { nextLevel.append(reference) }
            }
            incomplete[path] = open
            waitingFor[path] = references
            if open.isEmpty { completed(path) }
            return []
        }
    }

    /// An asked-for path is valid already.
    func alreadyValid(_ path: StorePath) {
        locked {
            asking -= 1
            completed(path)
            _ = madeValid(path)
        }
    }

    /// An asked-for path cannot be had: what refers to it fails too. Returns what to say (with
    /// `saying`, unless stopped).
    func cannotHave(_ path: StorePath, saying: Bool = true) -> [String] {
        locked {
            asking -= 1
            return fail(path, because: nil, saying: saying && !stopped)
        }
    }

    /// Nothing more is started (the closure is refused whole, or something failed that is not
    /// one path's fault); what is in flight ends.
    func stop() { locked { stopped = true } }

    /// `path` is unpacked (`staged`), or could not be (nil): the paths now ready to be made valid.
    func unpacked(_ path: StorePath, _ staged: Substituter.Staged?) -> [Substituter.Staged] {
        locked {
            guard let staged, !failed.contains(path) else {
                _ = fail(path, because: nil, saying: false)
                return []
            }
            guard waitingFor[path]!.isEmpty else {
                unpacked[path] = staged
                return []
            }
            return [staged]
        }
    }

    /// `path` is valid now (or could not be made valid): the paths now ready to be made valid.
    func valid(_ path: StorePath, failed: Bool = false) -> [Substituter.Staged] {
        locked {
            guard !failed else {
                _ = fail(path, because: nil, saying: false)
                return []
            }
            return madeValid(path)
        }
    }

    /// A thread is done with the NAR it took (and with making valid what that made ready).
    func doneUnpacking() { locked { unpacking -= 1 } }

    /// The paths that are neither valid nor failed once all is done: their references form a
    /// cycle (which only a hostile cache can give), or refer to one.
    func waiting() -> [(StorePath, Substituter.Source)] {
        locked {
            stopped
                ? []
                : sources.filter { !valid.contains($0.key) && !failed.contains($0.key) }
                    .sorted { $0.key.baseName < $1.key.baseName }.map { ($0.key, $0.value) }
        }
    }

    private func completed(_ path: StorePath) {
        var done = [path]
        while let path = done.popLast() {
            guard complete.insert(path).inserted else { continue }
            if sources[path] != nil && !valid.contains(path) { ready.insert(path, at: readyIndex(of: path)) }
            for referrer in referrers[path] ?? [] where !failed.contains(referrer) {
                if incomplete[referrer]?.remove(path) != nil, incomplete[referrer]!.isEmpty { done.append(referrer) }
            }
        }
    }

    private func madeValid(_ path: StorePath) -> [Substituter.Staged] {
        valid.insert(path)
        var ready: [Substituter.Staged] = []
        for referrer in referrers[path] ?? [] {
            waitingFor[referrer]?.remove(path)
            if waitingFor[referrer]?.isEmpty == true, let staged = unpacked.removeValue(forKey: referrer) {
                ready.append(staged)
            }
        }
        return ready
    }

    /// Fails `path` and what refers to it, directly or not; with `saying`, each referrer with a
    /// narinfo is said to lack the reference that failed it (and `path` itself, when `reference`
    /// failed it).
    private func fail(_ path: StorePath, because reference: StorePath?, saying: Bool = true) -> [String] {
        var said: [String] = []
        var failing: [(StorePath, StorePath?)] = [(path, reference)]
        while let (path, reference) = failing.popLast() {
            guard failed.insert(path).inserted else { continue }
            if saying, let reference, let source = sources[path] {
                said.append("\(source.source): its reference \(reference.baseName) cannot be substituted")
            }
            unpacked[path] = nil
            failing += (referrers[path] ?? []).map { ($0, path) }
        }
        return said
    }
}
