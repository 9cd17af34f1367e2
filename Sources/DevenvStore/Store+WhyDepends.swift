import DevenvBasics
import Foundation
import Glibc

extension Store {
    /// A shortest chain of references from `start` to `goal` (both included, breadth first), or
    /// an error when `start` does not depend on `goal`.
    public func referenceChain(from start: StorePath, to goal: StorePath) throws -> [StorePath] {
        var previous: [StorePath: StorePath] = [:]
        var queue = [start]
        var next = 0
        var seen: Set<StorePath> = [start]
        while next < queue.count, !seen.contains(goal) || start == goal {
            let path = queue[next]
            next += 1
            for reference in try validPathInfo(path).references where seen.insert(reference).inserted {
                previous[reference] = path
                queue.append(reference)
            }
            if start == goal { break }
        }
        guard seen.contains(goal) else {
            throw StoreError("'\(directory.fullPath(of: start))' does not depend on '\(directory.fullPath(of: goal))'")
        }
        var chain = [goal]
        while let step = previous[chain[0]] { chain.insert(step, at: 0) }
        return chain
    }
}

extension Store {
    /// Where `path` names `reference`: the first file (in NAR order) whose contents or link
    /// target hold its hash part, relative to `path` ("" for `path` itself), and the text around
    /// it with bytes that are not printable shown as `.`; nil when no file does (a reference
    /// recorded without a trace).
    public func referenceSite(in path: StorePath, of reference: StorePath) throws -> (file: String, context: String)? {
        let needle = Array(reference.hashPart.utf8)
        let root = directory.fullPath(of: path)
        var pending: [(relative: String, depth: Int)] = [("", 0)]
        while let (relative, depth) = pending.popLast() {
            let full = relative.isEmpty ? root : root + "/" + relative
            guard depth <= FileTree.maximumDepth else { return nil }
            let info = try SystemCall.lstat(full)
            let bytes: [UInt8]
            if SystemCall.isDirectory(info) {
                let names = try FileManager.default.contentsOfDirectory(atPath: full).sorted {
                    Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8))
                }
                for name in names.reversed() {
                    pending.append((relative.isEmpty ? name : relative + "/" + name, depth + 1))
                }
                continue
            } else if SystemCall.isSymlink(info) {
                bytes = Array(try FileManager.default.destinationOfSymbolicLink(atPath: full).utf8)
            } else {
                guard let data = FileManager.default.contents(atPath: full) else { continue }
                bytes = Array(data)
            }
            guard let at = Store.firstIndex(of: needle, in: bytes) else { continue }
            let start = max(0, at - 40)
            let end = min(bytes.count, at + needle.count + 40)
            let shown = bytes[start..<end].map { (0x20..<0x7F).contains($0) ? $0 : UInt8(ascii: ".") }
            return (
                relative,
                (start > 0 ? "…" : "") + String(decoding: shown, as: UTF8.self) + (end < bytes.count ? "…" : "")
            )
        }
        return nil
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        bytes.firstRange(of: needle)?.lowerBound
    }
}
