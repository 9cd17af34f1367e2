import DevenvStore
import Foundation

/// Derivations, the store paths of files and sources, hashes, and string context.
extension NixEvaluator {
    static var derivationPrimOps: [NixPrimOp] {
        [
            NixPrimOp("derivationStrict", arity: 1) { evaluator, arguments, position in
                try evaluator.derivationStrict(arguments[0], at: position)
            },
            NixPrimOp("placeholder", arity: 1) { evaluator, arguments, position in
                .string(NixEvaluator.placeholder(forOutput: try evaluator.plainString(arguments[0], at: position)))
            },
            NixPrimOp("toFile", arity: 2) { evaluator, arguments, position in
                try evaluator.toFile(arguments[0], arguments[1], at: position)
            },
            NixPrimOp("path", arity: 1) { evaluator, arguments, position in
                try evaluator.addPath(arguments[0], at: position)
            },
            NixPrimOp("filterSource", arity: 2) { evaluator, arguments, position in
                var context = Set<String>()
                let path = try evaluator.coerceToPath(arguments[1], context: &context, at: position)
                let filter = try evaluator.force(arguments[0])
                guard filter.isFunction else {
                    throw NixEvalError(
                        "first argument in call to 'filterSource' is not a function but \(filter.typeDescription)",
                        at: position)
                }
                return try evaluator.sourcePath(
                    path, name: (path as NSString).lastPathComponent, filter: filter, recursive: true,
                    expectedHash: nil, at: position)
            },
            NixPrimOp("storePath", arity: 1) { evaluator, arguments, position in
                try evaluator.storePath(arguments[0], at: position)
            },
            NixPrimOp("hashString", arity: 2) { evaluator, arguments, position in
                let algorithm = try evaluator.hashAlgorithm(arguments[0], at: position)
                let text = try evaluator.string(arguments[1], at: position).text
                return .string(Hasher.hash(algorithm, Array(text.utf8)).base16)
            },
            NixPrimOp("hashFile", arity: 2) { evaluator, arguments, position in
                let algorithm = try evaluator.hashAlgorithm(arguments[0], at: position)
                let path = try evaluator.coerceToPath(arguments[1], at: position)
                evaluator.noteRead(path)
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw NixEvalError("opening file '\(path)': No such file or directory", at: position)
                }
                return .string(Hasher.hash(algorithm, data).base16)
            },
            NixPrimOp("unsafeDiscardStringContext", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                return .string(try evaluator.coerceToString(arguments[0], context: &context, at: position))
            },
            NixPrimOp("unsafeDiscardOutputDependency", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let text = try evaluator.coerceToString(arguments[0], context: &context, at: position)
                let plain = context.map { $0.hasPrefix("=") ? String($0.dropFirst()) : $0 }
                return .string(NixString(text, context: Set(plain)))
            },
            NixPrimOp("hasContext", arity: 1) { evaluator, arguments, position in
                .bool(!(try evaluator.string(arguments[0], at: position).context.isEmpty))
            },
            NixPrimOp("getContext", arity: 1) { evaluator, arguments, position in
                .attrs(NixEvaluator.contextAttrs(try evaluator.string(arguments[0], at: position).context))
            },
            NixPrimOp("appendContext", arity: 2) { evaluator, arguments, position in
                try evaluator.appendContext(arguments[0], arguments[1], at: position)
            },
        ]
    }

    /// Nix 2.8's corepkgs/derivation.nix: `derivation` wraps `derivationStrict` into a set per
    /// output, each with `outPath`, `drvPath`, `type = "derivation"` and all the outputs.
    static let derivationNix = """
        /* This is the implementation of the ‘derivation’ builtin function.
           It's actually a wrapper around the ‘derivationStrict’ primop. */

        drvAttrs @ { outputs ? [ "out" ], ... }:

        let

          strict = derivationStrict drvAttrs;

          commonAttrs = drvAttrs // (builtins.listToAttrs outputsList) //
            { all = map (x: x.value) outputsList;
              inherit drvAttrs;
            };

          outputToAttrListElement = outputName:
            { name = outputName;
              value = commonAttrs // {
                outPath = builtins.getAttr outputName strict;
                drvPath = strict.drvPath;
                type = "derivation";
                inherit outputName;
              };
            };

          outputsList = map outputToAttrListElement outputs;

        in (builtins.head outputsList).value

        """
    static let corepkgs = "/__corepkgs__/"
    /// Nix 2.8's fetchurl.nix (`<nix/fetchurl.nix>`): a fixed-output derivation the
    /// `builtin:fetchurl` builder realises.
    static let fetchurlNix = """
        { system ? "" # obsolete
        , url
        , hash ? "" # an SRI hash

        # Legacy hash specification
        , md5 ? "", sha1 ? "", sha256 ? "", sha512 ? ""
        , outputHash ?
            if hash != "" then hash else if sha512 != "" then sha512 else if sha1 != "" then sha1 else if md5 != "" then md5 else sha256
        , outputHashAlgo ?
            if hash != "" then "" else if sha512 != "" then "sha512" else if sha1 != "" then "sha1" else if md5 != "" then "md5" else "sha256"

        , executable ? false
        , unpack ? false
        , name ? baseNameOf (toString url)
        }:

        derivation {
          builder = "builtin:fetchurl";

          # New-style output content requirements.
          inherit outputHashAlgo outputHash;
          outputHashMode = if unpack || executable then "recursive" else "flat";

          inherit name url executable unpack;

          system = "builtin";

          # No need to double the amount of network traffic
          preferLocalBuild = true;

          impureEnvVars = [
            # We borrow these environment variables from the caller to allow
            # easy proxy configuration.  This is impure, but a fixed-output
            # derivation like fetchurl is allowed to do so since its result is
            # by definition pure.
            "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy"
          ];

          # To make "nix-prefetch-url" work.
          urls = [ url ];
        }

        """

    /// `placeholder "out"`: the string a builder finds replaced by the output's path.
    static func placeholder(forOutput output: String) -> String {
        "/" + Hasher.hash(.sha256, Array("nix-output:\(output)".utf8)).nix32
    }

    func hashAlgorithm(_ value: NixValue, at position: NixPosition?) throws -> HashAlgorithm {
        let name = try plainString(value, at: position)
        guard let algorithm = HashAlgorithm(rawValue: name) else {
            throw NixEvalError("unknown hash type '\(name)'", at: position)
        }
        return algorithm
    }

    // MARK: Files and sources

    /// `builtins.toFile name contents`: a text store path referring to the store paths in the
    /// contents' context (which may not name derivation outputs).
    private func toFile(_ nameValue: NixValue, _ contentsValue: NixValue, at position: NixPosition?) throws
        -> NixValue
    {
        let name = try plainString(nameValue, at: position)
        let contents = try string(contentsValue, at: position)
        var references: [StorePath] = []
        for path in contents.context.sorted() {
            guard path.hasPrefix("/") else {
                throw NixEvalError(
                    "in 'toFile': the file named '\(name)' must not contain a reference to a derivation but contains (\(path))",
                    at: position)
            }
            references.append(try storePath(parsing: path, at: position))
        }
        let path = try storeFullPath(at: position) {
            try store.path(
                for: .text(hash: Hasher.hash(.sha256, Array(contents.text.utf8))), name: name, references: references)
        }
        NixDerivationRegistry.shared.register(references: contents.context, ofText: path)
        return .string(NixString(path, context: [path]))
    }

    /// `builtins.path { path, name?, filter?, recursive?, sha256? }`.
    private func addPath(_ argument: NixValue, at position: NixPosition?) throws -> NixValue {
        let attrs = try self.attrs(argument, at: position)
        var path = ""
        var name = ""
        var filter: NixValue?
        var recursive = true
        var expectedHash: Hash?
        for attrName in attrs.sortedNames {
            let entry = attrs.entry(attrName)!
            let at = entry.position ?? position
            switch attrName {
            case "path": path = try coerceToPath(entry.value, at: at)
            case "name": name = try plainString(entry.value, at: at)
            case "filter": filter = try force(entry.value)
            case "recursive": recursive = try bool(entry.value, at: at)
            case "sha256":
                expectedHash = try parseHash(try plainString(entry.value, at: at), algorithm: .sha256, at: at)
            default:
                throw NixEvalError("unsupported argument '\(attrName)' to 'addPath'", at: at)
            }
        }
        guard !path.isEmpty else { throw NixEvalError("'path' required", at: position) }
        if name.isEmpty { name = (path as NSString).lastPathComponent }
        return try sourcePath(
            path, name: name, filter: filter, recursive: recursive, expectedHash: expectedHash, at: position)
    }

    /// The store path a source would be added at, computed without writing it: the NAR (kept
    /// entries only, with a filter) or the flat file, hashed with SHA-256.
    private func sourcePath(
        _ path: String, name: String, filter: NixValue?, recursive: Bool, expectedHash: Hash?,
        at position: NixPosition?
    ) throws -> NixValue {
        noteRead(path)
        do {
            let hash: Hash
            if !recursive {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw NixEvalError("opening file '\(path)': No such file or directory")
                }
                hash = Hasher.hash(.sha256, data)
            } else if let filter {
                hash = try NixFilteredNar.hash(of: path) { entry, type in
                    let kept = try call(call(filter, .string(entry), at: position), .string(type), at: position)
                    return try bool(kept, at: position)
                }
            } else {
                hash = try Nar.hash(of: path).hash
            }
            let storePath = try storeFullPath(at: position) {
                try store.path(for: .fixed(recursive: recursive, hash: hash), name: name)
            }
            if let expectedHash {
                let expected = try storeFullPath(at: position) {
                    try store.path(for: .fixed(recursive: recursive, hash: expectedHash), name: name)
                }
                guard expected == storePath else {
                    throw NixEvalError("store path mismatch in (possibly filtered) path added from '\(path)'")
                }
            }
            return .string(NixString(storePath, context: [storePath]))
        } catch let error as NixEvalError {
            throw error.located(position).adding("while adding path '\(path)'")
        } catch {
            throw NixEvalError("\(error)", at: position).adding("while adding path '\(path)'")
        }
    }

    /// `builtins.storePath`: a path in the store, with itself as context.
    private func storePath(_ value: NixValue, at position: NixPosition?) throws -> NixValue {
        var context = Set<String>()
        var path = try coerceToPath(value, context: &context, at: position)
        if (try? store.storePath(parsing: path)) == nil {
            path = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        }
        guard path.hasPrefix(store.path + "/") else {
            throw NixEvalError("path '\(path)' is not in the Nix store", at: position)
        }
        let baseName = path.dropFirst(store.path.count + 1).prefix { $0 != "/" }
        context.insert(store.path + "/" + baseName)
        return .string(NixString(path, context: context))
    }

    private func storePath(parsing path: String, at position: NixPosition?) throws -> StorePath {
        do {
            return try store.storePath(parsing: path)
        } catch {
            throw NixEvalError("path '\(path)' is not a store path", at: position)
        }
    }

    private func storeFullPath(at position: NixPosition?, _ compute: () throws -> StorePath) throws -> String {
        do {
            return store.fullPath(of: try compute())
        } catch let error as NixEvalError {
            throw error
        } catch {
            throw NixEvalError("\(error)", at: position)
        }
    }

    /// Nix's `newHashAllowEmpty`: an empty hash is all zeros (of a known algorithm).
    func parseHash(_ text: String, algorithm: HashAlgorithm?, at position: NixPosition?) throws -> Hash {
        if text.isEmpty {
            guard let algorithm else { throw NixEvalError("empty hash requires explicit hash type", at: position) }
            return Hash(algorithm: algorithm, bytes: Array(repeating: 0, count: algorithm.digestSize))
        }
        do {
            return try Hash(parsing: text, algorithm: algorithm)
        } catch {
            throw NixEvalError("\(error)", at: position)
        }
    }

    // MARK: Context

    /// `builtins.getContext`: by store path, `path = true` for a plain path, `allOutputs = true`
    /// for `=drv`, and the names of the outputs used.
    static func contextAttrs(_ context: Set<String>) -> NixAttrs {
        var paths: [String: (path: Bool, allOutputs: Bool, outputs: [String])] = [:]
        for element in context.sorted(by: NixAttrs.precedes) {
            if element.hasPrefix("=") {
                paths[String(element.dropFirst()), default: (false, false, [])].allOutputs = true
            } else if element.hasPrefix("!"), let (output, path) = decodeOutputContext(element) {
                paths[path, default: (false, false, [])].outputs.append(output)
            } else {
                paths[element, default: (false, false, [])].path = true
            }
        }
        return NixAttrs(
            values: paths.mapValues { info in
                let attrs = NixAttrs()
                if info.path { attrs.set("path", .true) }
                if info.allOutputs { attrs.set("allOutputs", .true) }
                if !info.outputs.isEmpty { attrs.set("outputs", .list(NixList(info.outputs.map { .string($0) }))) }
                return .attrs(attrs)
            })
    }

    /// `!<output>!<drvPath>`.
    static func decodeOutputContext(_ element: String) -> (output: String, path: String)? {
        let rest = element.dropFirst()
        guard let separator = rest.firstIndex(of: "!") else { return nil }
        return (String(rest[..<separator]), String(rest[rest.index(after: separator)...]))
    }

    private func appendContext(_ stringValue: NixValue, _ contextValue: NixValue, at position: NixPosition?) throws
        -> NixValue
    {
        var result = try string(stringValue, at: position)
        let attrs = try self.attrs(contextValue, at: position)
        for path in attrs.sortedNames {
            let entry = attrs.entry(path)!
            guard (try? store.storePath(parsing: path)) != nil else {
                throw NixEvalError("Context key '\(path)' is not a store path", at: entry.position ?? position)
            }
            let info = try self.attrs(entry.value, at: entry.position ?? position)
            if let value = info["path"], try bool(value, at: position) { result.context.insert(path) }
            if let value = info["allOutputs"], try bool(value, at: position) {
                guard path.hasSuffix(".drv") else {
                    throw NixEvalError(
                        "Tried to add all-outputs context of \(path), which is not a derivation, to a string",
                        at: entry.position ?? position)
                }
                result.context.insert("=" + path)
            }
            if let value = info["outputs"] {
                let outputs = try list(value, at: position)
                if !outputs.elements.isEmpty && !path.hasSuffix(".drv") {
                    throw NixEvalError(
                        "Tried to add derivation output context of \(path), which is not a derivation, to a string",
                        at: entry.position ?? position)
                }
                for output in outputs.elements {
                    result.context.insert("!" + (try plainString(output, at: position)) + "!" + path)
                }
            }
        }
        return .string(result)
    }
}
