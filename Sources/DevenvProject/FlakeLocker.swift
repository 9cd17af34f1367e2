import DevenvBasics
import DevenvNixLang
import DevenvStore
import Foundation

/// One input as a flake's `inputs` declares it (Nix 2.8's `parseFlakeInput`): where it comes
/// from, or which other input it `follows` (input names from the root), whether it is a flake,
/// and the inputs of its own it overrides (`inputs.a.inputs.b.follows = "c"`).
struct FlakeInputDeclaration {
    var reference: FlakeReference?
    var follows: [String]?
    var isFlake = true
    var overrides: [String: FlakeInputDeclaration] = [:]
    var place: String
}

/// Locks a flake's inputs as Nix 2.8's `lockFlake` does: an input keeps its pin while what the
/// flake declares for it is what was pinned (`original`) and it is not being updated; otherwise
/// its newest tree is fetched. A flake input's own inputs are locked the same way, from the
/// pins of the root's flake.lock or else its own flake.lock. nixpkgs, flake-utils and nix-systems
/// are devenv's own (`FlakeBuiltin`): not fetched, and written only where a pin for them was kept.
/// Inputs nest at most `FlakeLock.maximumDepth` deep and number at most `maximumInputs` (a flake
/// whose inputs share an input flake has a node for it on every path, as in Nix).
final class FlakeLocker {
    private let evaluator: NixEvaluator
    private let store: () throws -> Store
    private let fetching: Bool
    private var openedFetcher: FlakeInputFetcher?
    /// Input paths to move to their newest: nil for none; an empty set for all.
    private let updating: Set<[String]>?
    /// What each locked node's tree is, by node.
    private(set) var fetched: [ObjectIdentifier: FetchedFlakeInput] = [:]
    /// Overrides declared by the flakes above an input, by input path.
    private var overrides: [[String]: FlakeInputDeclaration] = [:]
    private var parents: [FlakeReference] = []
    private var inputCount = 0
    static let maximumInputs = 1000

    init(evaluator: NixEvaluator, store: @escaping () throws -> Store, fetching: Bool, updating: Set<[String]>?) {
        self.evaluator = evaluator
        self.store = store
        self.fetching = fetching
        self.updating = updating
    }

    /// The lock of a flake whose inputs are `declared`, in `directory`, against `previous`.
    func lock(_ declared: [String: FlakeInputDeclaration], directory: String, previous: FlakeLock?) throws
        -> FlakeLock
    {
        let root = FlakeLock.Node()
        try computeLocks(declared, into: root, path: [], previous: previous?.root, base: directory)
        let lock = FlakeLock(root: root)
        try checkFollows(lock)
        return lock
    }

    private func computeLocks(
        _ declared: [String: FlakeInputDeclaration], into node: FlakeLock.Node, path prefix: [String],
        previous: FlakeLock.Node?, base: String
    ) throws {
        guard prefix.count < FlakeLock.maximumDepth else {
            throw ManifestError(
                "flake inputs nest deeper than \(FlakeLock.maximumDepth) (\(prefix.joined(separator: "/")))")
        }
        for (name, declaration) in declared {
            for (inner, override) in declaration.overrides { overrides[prefix + [name, inner]] = override }
        }
        for name in declared.keys.sorted() {
            let path = prefix + [name]
            let override = overrides[path]
            var input = override ?? declared[name]!
            input.isFlake = declared[name]!.isFlake
            if let follows = input.follows {
                node.inputs[name] = .follows(follows)
                continue
            }
            let reference = input.reference!
            var old: FlakeLock.Node?
            if case .node(let pinned)? = previous?.inputs[name], !isUpdating(path) { old = pinned }
            let kept = old.flatMap { old in override == nil && old.original == reference.attributes ? old : nil }
            if let builtin = reference.builtin {
                let child = kept ?? FlakeLock.Node(original: reference.attributes)
                child.builtin = builtin
                node.inputs[name] = .node(child)
                continue
            }
            let place = "\(input.place): input '\(path.joined(separator: "/"))' (\(reference.url))"
            inputCount += 1
            guard inputCount <= FlakeLocker.maximumInputs else {
                throw ManifestError("\(place): the flake has more than \(FlakeLocker.maximumInputs) inputs in all")
            }
            let child: FlakeLock.Node
            let source: FetchedFlakeInput
            do {
                if let kept {
                    source = try fetcher().fetch(locked: kept.locked, base: base)
                    child = FlakeLock.Node(locked: kept.locked, original: kept.original, isFlake: input.isFlake)
                } else {
                    source = try fetcher().fetch(reference, base: base)
                    // As Nix 2.8: a flake keeps what its parent declared (an override is not
                    // sticky), a non-flake input records what it was fetched as.
                    let original = input.isFlake ? (declared[name]!.reference ?? reference) : reference
                    child = FlakeLock.Node(locked: source.locked, original: original.attributes, isFlake: input.isFlake)
                }
            } catch let error as ManifestError {
                throw ManifestError("\(place): \(error)")
            } catch let error as FlakeInputNotFetched {
                throw FlakeInputNotFetched(description: "\(place): \(error)")
            } catch {
                // Not the flake's fault: the network, a repository gone.
                throw ProjectError("\(place): \(error)")
            }
            node.inputs[name] = .node(child)
            fetched[ObjectIdentifier(child)] = source
            guard input.isFlake else { continue }
            guard !parents.contains(reference) else {
                throw ManifestError("\(place): is its own input (a circle of flake inputs)")
            }
            parents.append(reference)
            defer { parents.removeLast() }
            let directory = FlakeLocker.flakeDirectory(of: source)
            let inner: [String: FlakeInputDeclaration]
            let innerPrevious: FlakeLock.Node?
            do {
                inner = try declarations(ofFlakeIn: directory, path: path)
                // An input whose declaration changed keeps its own inputs' pins, as in Nix 2.8.
                innerPrevious = try old ?? FlakeLocker.ownLock(in: directory)
            } catch let error as ManifestError {
                throw ManifestError("\(place): \(error)")
            }
            // A relative `path:` input of the input is relative to the input's own directory.
            try computeLocks(inner, into: child, path: path, previous: innerPrevious, base: directory)
        }
    }

    private func isUpdating(_ path: [String]) -> Bool {
        guard let updating else { return false }
        return updating.isEmpty || updating.contains(path)
    }

    private func fetcher() throws -> FlakeInputFetcher {
        if let openedFetcher { return openedFetcher }
        let made = FlakeInputFetcher(store: try store(), fetching: fetching)
        openedFetcher = made
        return made
    }

    /// Where a fetched flake's flake.nix is: its tree, or `?dir=` inside it.
    static func flakeDirectory(of source: FetchedFlakeInput) -> String {
        guard case .string(let dir)? = source.locked["dir"], !dir.isEmpty else { return source.path }
        return source.path + "/" + dir
    }

    /// A fetched flake's own flake.lock, whose pins its inputs keep when the root's lock has none.
    private static func ownLock(in directory: String) throws -> FlakeLock.Node? {
        guard let bytes = OwnFiles.contents(of: directory + "/flake.lock", limit: 16 << 20) else { return nil }
        return try FlakeLock(text: String(decoding: bytes, as: UTF8.self), file: directory + "/flake.lock").root
    }

    /// The inputs the flake in `directory` declares; `follows` are made absolute with `path`.
    private func declarations(ofFlakeIn directory: String, path: [String]) throws -> [String: FlakeInputDeclaration] {
        let file = directory + "/flake.nix"
        guard FileManager.default.fileExists(atPath: file) else { throw ManifestError("it has no flake.nix") }
        guard case .attrs(let flake) = try evaluator.force(try evaluator.evaluate(file: file)) else {
            throw ManifestError("\(file): a flake is a set with `inputs` and `outputs`")
        }
        return try FlakeLocker.declarations(of: flake, evaluator: evaluator, path: path, file: file)
    }

    /// What `flake` declares as inputs, with the arguments its `outputs` takes that it does not
    /// declare (Nix takes those from the registry: nixpkgs, say). `file` names the flake in errors.
    static func declarations(of flake: NixAttrs, evaluator: NixEvaluator, path: [String], file: String) throws
        -> [String: FlakeInputDeclaration]
    {
        var result: [String: FlakeInputDeclaration] = [:]
        if let inputs = flake.entry("inputs") {
            guard case .attrs(let attrs) = try evaluator.force(inputs.value) else {
                throw ManifestError("\(inputs.position.map { "\($0)" } ?? file): `inputs` is not a set")
            }
            for name in attrs.sortedNames {
                result[name] = try declaration(
                    name, attrs.entry(name)!, evaluator: evaluator, path: path, file: file, depth: 0)
            }
        }
        if let outputs = flake["outputs"] {
            let arguments = try evaluator.apply(
                try evaluator.evaluate(
                    try evaluator.parse(
                        Array("f: builtins.attrNames (builtins.functionArgs f)".utf8), file: "«flake»", basePath: "/")),
                outputs)
            guard case .list(let names) = try evaluator.force(arguments) else { return result }
            for element in names.elements {
                let name = try evaluator.text(of: element).text
                guard name != "self", result[name] == nil else { continue }
                let place = flake.entry("outputs")?.position.map { "\($0)" } ?? file
                result[name] = FlakeInputDeclaration(
                    reference: try FlakeReference(attributes: ["type": .string("indirect"), "id": .string(name)]),
                    place: place)
            }
        }
        return result
    }

    private static func declaration(
        _ name: String, _ entry: NixAttrs.Attr, evaluator: NixEvaluator, path: [String], file: String, depth: Int
    ) throws -> FlakeInputDeclaration {
        let place = entry.position.map { "\($0)" } ?? file
        func failure(_ message: String) -> ManifestError { ManifestError("\(place): input '\(name)': \(message)") }
        guard depth < 4 else { throw failure("overrides nest too deeply") }
        var declaration = FlakeInputDeclaration(place: place)
        var attributes: [String: CanonicalJSON] = [:]
        switch try evaluator.force(entry.value) {
        case .string(let url): attributes["url"] = .string(url.text)
        case .attrs(let attrs):
            for key in attrs.sortedNames {
                let value = try evaluator.force(attrs[key]!)
                switch (key, value) {
                case ("flake", .bool(let isFlake)): declaration.isFlake = isFlake
                case ("follows", .string(let target)):
                    guard !target.text.isEmpty else { throw failure("`follows` names no input") }
                    declaration.follows = path + target.text.split(separator: "/").map(String.init)
                case ("inputs", .attrs(let inner)):
                    for innerName in inner.sortedNames {
                        declaration.overrides[innerName] = try self.declaration(
                            innerName, inner.entry(innerName)!, evaluator: evaluator, path: path, file: file,
                            depth: depth + 1)
                    }
                case (_, .string(let text)): attributes[key] = .string(text.text)
                case (_, .bool(let flag)): attributes[key] = .bool(flag)
                case (_, .int(let number)): attributes[key] = .integer(Int64(number))
                default: throw failure("'\(key)' is \(value.typeDescription)")
                }
            }
        default: throw failure("not a set or a URL")
        }
        do {
            if attributes["type"] != nil {
                declaration.reference = try FlakeReference(attributes: attributes)
            } else if case .string(let url)? = attributes["url"] {
                guard attributes.count == 1 else {
                    throw ManifestError("unexpected attribute '\(attributes.keys.sorted().first { $0 != "url" }!)'")
                }
                declaration.reference = try FlakeReference(url: url)
            } else if declaration.follows == nil {
                declaration.reference = try FlakeReference(attributes: [
                    "type": .string("indirect"), "id": .string(name),
                ])
            }
        } catch let error as ManifestError {
            throw failure(error.description)
        }
        return declaration
    }

    /// Every `follows` must lead to an input (Nix's `LockFile::check`).
    private func checkFollows(_ lock: FlakeLock) throws {
        func visit(_ node: FlakeLock.Node, path: [String]) throws {
            for name in node.inputs.keys.sorted() {
                switch node.inputs[name]! {
                case .follows(let target):
                    guard lock.node(at: target) != nil else {
                        throw ManifestError(
                            "input '\((path + [name]).joined(separator: "/"))' follows '\(target.joined(separator: "/"))', which is no input"
                        )
                    }
                case .node(let child): try visit(child, path: path + [name])
                }
            }
        }
        try visit(lock.root, path: [])
    }
}
