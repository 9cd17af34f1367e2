import DevenvStore
import Foundation

/// The paths of a closure being substituted, worked off by several threads at once. A path's
/// narinfo is asked for as soon as a referrer names it; a path whose whole closure is known to
/// come from the caches (or to be valid already) is `complete`, and its NAR is unpacked, the
/// largest first, while the narinfos of other paths are still being asked for; once unpacked, a
/// path becomes valid when its references are. A path that cannot be had fails the paths that
/// refer to it, before any of their NARs is fetched.
final class ClosureGraph: @unchecked Sendable {
    enum Task {
        case ask(StorePath, depth: Int)
        case unpack(StorePath, Substituter.Source)
    }

    /// The path whose closure this is.
    let root: StorePath
    private let condition = NSCondition()
    /// Paths to ask for, in the order named (a level of references before the next), and how deep.
    private var asks: [(path: StorePath, depth: Int)]
    private var nextAsk = 0
    private var seen: Set<StorePath>
    private var sources: [StorePath: Substituter.Source] = [:]
    /// Of each path with a source: its references not complete yet, and those not valid yet.
    private var incomplete: [StorePath: Set<StorePath>] = [:]
    private var waitingFor: [StorePath: Set<StorePath>] = [:]
    private var referrers: [StorePath: [StorePath]] = [:]
    private var complete: Set<StorePath> = []
    private var valid: Set<StorePath> = []
    /// Complete paths whose NAR is not taken yet.
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
        asks = [(root, 0)]
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
            let asksLeft = nextAsk < asks.count
            if !stopped, !ready.isEmpty, unpacking < unpackersWhileAsking || !asksLeft {
                let largest = ready.indices.max {
                    (size(of: ready[$0]), ready[$0].baseName) < (size(of: ready[$1]), ready[$1].baseName)
                }!
                let path = ready.remove(at: largest)
                unpacking += 1
                return .unpack(path, sources[path]!)
            }
            if !stopped, asksLeft {
                nextAsk += 1
                asking += 1
                return .ask(asks[nextAsk - 1].path, depth: asks[nextAsk - 1].depth)
            }
            if asking == 0 && unpacking == 0 { return nil }
            condition.wait()
        }
    }

    private func size(of path: StorePath) -> UInt64 { sources[path]!.info.narSize }

    /// An asked-for path has `source`; its references not seen yet are to be asked for. Returns what
    /// to say: a reference known not to be had fails it.
    func found(_ path: StorePath, _ source: Substituter.Source, depth: Int) -> [String] {
        locked {
            asking -= 1
            sources[path] = source
            var open: Set<StorePath> = []
            var notValid: Set<StorePath> = []
            for reference in source.references where reference != path && !valid.contains(reference) {
                if failed.contains(reference) {
                    return fail(path, because: reference)
                }
                referrers[reference, default: []].append(path)
                notValid.insert(reference)
                if !complete.contains(reference) { open.insert(reference) }
                if seen.insert(reference).inserted { asks.append((reference, depth + 1)) }
            }
            incomplete[path] = open
            waitingFor[path] = notValid
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

    /// An asked-for path cannot be had: what refers to it fails too. Returns what to say.
    func cannotHave(_ path: StorePath) -> [String] {
        locked {
            asking -= 1
            return fail(path, because: nil)
        }
    }

    /// Nothing more is started (the closure is refused whole, or something failed that is not
    /// one path's fault); what is in flight ends.
    func stop() { locked { stopped = true } }

    /// `path` is unpacked (`staged`), or could not be (nil): the paths now ready to be made valid.
    func unpacked(_ path: StorePath, _ staged: Substituter.Staged?) -> [(StorePath, Substituter.Staged)] {
        locked {
            guard let staged, !failed.contains(path) else {
                _ = fail(path, because: nil, saying: false)
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
            if sources[path] != nil && !valid.contains(path) { ready.append(path) }
            for referrer in referrers[path] ?? [] where !failed.contains(referrer) {
                if incomplete[referrer]?.remove(path) != nil, incomplete[referrer]!.isEmpty { done.append(referrer) }
            }
        }
    }

    private func madeValid(_ path: StorePath) -> [(StorePath, Substituter.Staged)] {
        valid.insert(path)
        var ready: [(StorePath, Substituter.Staged)] = []
        for referrer in referrers[path] ?? [] {
            waitingFor[referrer]?.remove(path)
            if waitingFor[referrer]?.isEmpty == true, let staged = unpacked.removeValue(forKey: referrer) {
                ready.append((referrer, staged))
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
            ready.removeAll { $0 == path }
            failing += (referrers[path] ?? []).map { ($0, path) }
        }
        return said
    }
}
