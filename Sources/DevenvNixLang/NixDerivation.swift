import DevenvStore
import Foundation

/// A store derivation as `derivationStrict` builds it, its ATerm text (the `.drv` file, Nix 2.8's
/// `Derivation::unparse`) and the hash its input-addressed outputs are named by
/// (`hashDerivationModulo`, docs/nix-formats.md §3.4–3.5).
struct NixDerivation {
    enum Output {
        /// An input-addressed output; `nil` while its path is being computed.
        case inputAddressed(path: String?)
        case fixed(path: String, recursive: Bool, hash: Hash)

        /// The hash algorithm field: `r:sha256` for a NAR-hashed fixed output.
        var methodAlgorithm: String {
            guard case .fixed(_, let recursive, let hash) = self else { return "" }
            return (recursive ? "r:" : "") + hash.algorithm.rawValue
        }
    }

    var name: String
    /// By output name; `Dictionary` iteration is never used for output, only `sorted`.
    var outputs: [String: Output] = [:]
    /// Derivation paths and the outputs used from each.
    var inputDrvs: [String: Set<String>] = [:]
    var inputSrcs: Set<String> = []
    var platform = ""
    var builder = ""
    var args: [String] = []
    var env: [String: String] = [:]

    var isFixedOutput: Bool {
        if case .fixed = outputs["out"], outputs.count == 1 { return true }
        return false
    }

    /// The ATerm text: with `maskOutputs`, output paths and the variables naming them are empty;
    /// `inputHashes` replaces the input derivations by their hashes (both for `hashModulo`).
    func unparse(maskOutputs: Bool = false, inputHashes: [String: Set<String>]? = nil) -> String {
        var s = "Derive(["
        s += outputs.keys.sorted(by: NixAttrs.precedes).map { name in
            switch outputs[name]! {
            case .inputAddressed(let path):
                return "(\(quoted(name)),\(quoted(maskOutputs ? "" : path ?? "")),\"\",\"\")"
            case .fixed(let path, _, let hash):
                let output = outputs[name]!
                return "(\(quoted(name)),\(quoted(maskOutputs ? "" : path)),"
                    + "\(quoted(output.methodAlgorithm)),\(quoted(hash.base16)))"
            }
        }.joined(separator: ",")
        s += "],["
        let inputs = inputHashes ?? inputDrvs
        s += inputs.keys.sorted(by: NixAttrs.precedes).map { path in
            "(\(quoted(path)),[" + inputs[path]!.sorted(by: NixAttrs.precedes).map(quoted).joined(separator: ",") + "])"
        }.joined(separator: ",")
        s += "],[" + inputSrcs.sorted(by: NixAttrs.precedes).map(quoted).joined(separator: ",") + "],"
        s += quoted(platform) + "," + escaped(builder) + ",[" + args.map(escaped).joined(separator: ",") + "],["
        s += env.keys.sorted(by: NixAttrs.precedes).map { key in
            "(" + escaped(key) + "," + escaped(maskOutputs && outputs[key] != nil ? "" : env[key]!) + ")"
        }.joined(separator: ",")
        return s + "])"
    }

    /// `hashDerivationModulo`: for a fixed-output derivation the hash of its output's content
    /// address, otherwise of its ATerm with each input derivation replaced by that input's hash,
    /// so that how a fixed output is fetched does not change what depends on it.
    func hashModulo(maskOutputs: Bool, in store: StoreDirectory) throws -> Hash {
        if isFixedOutput, case .fixed(let path, _, let hash) = outputs["out"]! {
            let text = "fixed:out:\(outputs["out"]!.methodAlgorithm):\(hash.base16):\(path)"
            return Hasher.hash(.sha256, Array(text.utf8))
        }
        var inputHashes: [String: Set<String>] = [:]
        for (path, outputNames) in inputDrvs {
            let hash = try NixDerivationRegistry.shared.hashModulo(of: path, in: store).base16
            inputHashes[hash, default: []].formUnion(outputNames)
        }
        return Hasher.hash(.sha256, Array(unparse(maskOutputs: maskOutputs, inputHashes: inputHashes).utf8))
    }

    /// The `.drv` file's path: a text store path referring to the inputs.
    func path(in store: StoreDirectory) throws -> String {
        let references = try (inputSrcs.union(inputDrvs.keys)).map { try store.storePath(parsing: $0) }
        let text = Array(unparse().utf8)
        let path = try store.path(
            for: .text(hash: Hasher.hash(.sha256, text)), name: name + ".drv", references: references)
        return store.fullPath(of: path)
    }

    /// Names and paths unquoted: Nix writes them raw.
    private func quoted(_ text: String) -> String { "\"" + text + "\"" }

    /// Nix's `printString`: `"` `\` newline CR tab escaped.
    private func escaped(_ text: String) -> String {
        var result = "\""
        for character in text.unicodeScalars {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default: result.unicodeScalars.append(character)
            }
        }
        return result + "\""
    }
}

/// The derivations instantiated so far, by `.drv` path, for the hashes and closures of their
/// dependants (Nix reads them back from the store; nothing is written here). A `.drv` path names
/// its content, so one table serves every evaluator, as Nix's global `drvHashes` does.
final class NixDerivationRegistry: @unchecked Sendable {
    static let shared = NixDerivationRegistry()

    private let lock = NSLock()
    private var derivations: [String: NixDerivation] = [:]
    /// `hashModulo` of each, unmasked, computed once: inputs are shared by many dependants.
    private var hashes: [String: Hash] = [:]
    /// References of the text files `toFile` made, for closures.
    private var textReferences: [String: Set<String>] = [:]

    subscript(path: String) -> NixDerivation? {
        lock.withLock { derivations[path] }
    }

    func register(_ derivation: NixDerivation, at path: String) {
        lock.withLock { derivations[path] = derivation }
    }

    func hashModulo(of path: String, in store: StoreDirectory) throws -> Hash {
        if let hash = lock.withLock({ hashes[path] }) { return hash }
        guard let derivation = self[path] else {
            throw NixEvalError("cannot read derivation '\(path)': it was not instantiated by this evaluator")
        }
        let hash = try derivation.hashModulo(maskOutputs: false, in: store)
        lock.withLock { hashes[path] = hash }
        return hash
    }

    func register(references: Set<String>, ofText path: String) {
        lock.withLock { textReferences[path] = references }
    }

    /// The path and everything it refers to, as far as this evaluator made them.
    func closure(of path: String) -> Set<String> {
        var closure: Set<String> = []
        var pending = [path]
        while let next = pending.popLast() {
            guard closure.insert(next).inserted else { continue }
            if let derivation = self[next] {
                pending += derivation.inputSrcs
                pending += derivation.inputDrvs.keys
            } else if let references = lock.withLock({ textReferences[next] }) {
                pending += references
            }
        }
        return closure
    }
}
