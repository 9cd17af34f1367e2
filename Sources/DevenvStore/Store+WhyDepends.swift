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
