import DevenvBasics
import Foundation

/// `flake.lock`, version 7, as Nix 2.8 reads and writes it (`../shared/docs/nix-formats.md` §6):
/// a tree of locked inputs from the root flake, where an input is another node or a `follows`
/// path from the root. Held as a tree; node keys exist only in the file.
final class FlakeLock {
    /// One locked input (the root has no `locked` or `original`).
    final class Node {
        enum Input {
            case node(Node)
            /// Input names from the root.
            case follows([String])
        }

        var inputs: [String: Input] = [:]
        var locked: [String: CanonicalJSON] = [:]
        var original: [String: CanonicalJSON] = [:]
        var isFlake = true
        /// Set for an input devenv gives itself; such a node is written only with the pin a
        /// flake.lock (Nix's, say) already had for it.
        var builtin: FlakeBuiltin?

        /// Whether the file holds it.
        var isWritten: Bool { builtin == nil || !locked.isEmpty }

        /// Whether the file holds any of its inputs.
        var hasWrittenInputs: Bool {
            inputs.values.contains { if case .node(let child) = $0 { child.isWritten } else { true } }
        }

        init(locked: [String: CanonicalJSON] = [:], original: [String: CanonicalJSON] = [:], isFlake: Bool = true) {
            self.locked = locked
            self.original = original
            self.isFlake = isFlake
        }
    }

    let root: Node
    /// Input paths already followed to their node (nil: to none).
    private var followed: [[String]: Node?] = [:]
    private var following: Set<[String]> = []

    init(root: Node) { self.root = root }

    /// The node input path `path` leads to from the root, through the follows on the way; nil
    /// when it leads to no input or around a circle of follows. Each path is followed once.
    func node(at path: [String]) -> Node? {
        if let known = followed[path] { return known }
        guard following.count < FlakeLock.maximumDepth * 4, following.insert(path).inserted else { return nil }
        defer { following.remove(path) }
        var node: Node? = root
        for name in path {
            switch node?.inputs[name] {
            case .node(let child)?: node = child
            case .follows(let other)?: node = self.node(at: other)
            case nil: node = nil
            }
            if node == nil { break }
        }
        followed[path] = node
        return node
    }

    /// How deeply inputs may nest: reading, locking and evaluating recurse once per level.
    static let maximumDepth = 32

    /// Reads the file strictly; `file` names it in errors.
    convenience init(text: String, file: String) throws {
        func failure(_ message: String) -> ManifestError { ManifestError("\(file): \(message)") }
        let json: CanonicalJSON
        do { json = try CanonicalJSON(parsing: text) } catch { throw failure("\(error)") }
        guard case .object(let top) = json, case .object(let nodes)? = top["nodes"],
            case .string(let rootKey)? = top["root"], case .integer(let version)? = top["version"]
        else { throw failure("not a flake lock (an object with nodes, root and version)") }
        guard (5...7).contains(version) else { throw failure("version \(version) is not one Nix 2.8 writes (5 to 7)") }
        var made: [String: Node] = [:]
        var open: Set<String> = []
        func node(_ key: String, depth: Int) throws -> Node {
            if let node = made[key] { return node }
            guard depth <= FlakeLock.maximumDepth else {
                throw failure("inputs nest deeper than \(FlakeLock.maximumDepth)")
            }
            guard !open.contains(key) else { throw failure("node '\(key)' is its own input") }
            guard case .object(let fields)? = nodes[key] else { throw failure("no node '\(key)'") }
            open.insert(key)
            defer { open.remove(key) }
            let result = Node()
            if key != rootKey {
                guard case .object(var locked)? = fields["locked"], case .object(let original)? = fields["original"]
                else { throw failure("node '\(key)' lacks locked or original") }
                // Version 5 kept part of `locked` under `info`.
                if case .object(let info)? = fields["info"] { locked.merge(info) { $1 } }
                guard case .string? = locked["narHash"] else {
                    throw failure("node '\(key)' is not locked (no narHash)")
                }
                result.locked = locked
                result.original = original
            }
            if case .bool(let isFlake)? = fields["flake"] { result.isFlake = isFlake }
            if case .object(let inputs)? = fields["inputs"] {
                for (name, target) in inputs {
                    switch target {
                    case .string(let child): result.inputs[name] = .node(try node(child, depth: depth + 1))
                    case .array(let path):
                        result.inputs[name] = .follows(
                            try path.map {
                                guard case .string(let name) = $0 else {
                                    throw failure("input '\(name)' follows a non-name")
                                }
                                return name
                            })
                    default: throw failure("input '\(name)' of '\(key)' is not a node key or a follows path")
                    }
                }
            }
            made[key] = result
            return result
        }
        self.init(root: try node(rootKey, depth: 0))
    }

    /// The file's text, byte for byte as Nix 2.8 writes it: node keys are input names given in a
    /// depth-first walk in sorted order (`_2`, `_3`, … on a clash), keys sorted, two-space indentation.
    var text: String {
        var nodes: [String: CanonicalJSON] = [:]
        var keys: [ObjectIdentifier: String] = [:]
        func write(_ node: Node, as wanted: String) -> String {
            if let key = keys[ObjectIdentifier(node)] { return key }
            var key = wanted
            var suffix = 2
            while nodes[key] != nil {
                key = "\(wanted)_\(suffix)"
                suffix += 1
            }
            keys[ObjectIdentifier(node)] = key
            nodes[key] = .object([:])  // claimed before the inputs are walked
            var fields: [String: CanonicalJSON] = [:]
            if node.hasWrittenInputs {
                var inputs: [String: CanonicalJSON] = [:]
                for name in node.inputs.keys.sorted() {
                    switch node.inputs[name]! {
                    case .node(let child) where !child.isWritten: continue
                    case .node(let child): inputs[name] = .string(write(child, as: name))
                    case .follows(let path): inputs[name] = .array(path.map(CanonicalJSON.string))
                    }
                }
                fields["inputs"] = .object(inputs)
            }
            if node !== root {
                fields["locked"] = .object(node.locked)
                fields["original"] = .object(node.original)
                if !node.isFlake { fields["flake"] = .bool(false) }
            }
            nodes[key] = .object(fields)
            return key
        }
        let rootKey = write(root, as: "root")
        return CanonicalJSON.object(["nodes": .object(nodes), "root": .string(rootKey), "version": .integer(7)]).pretty
    }
}
