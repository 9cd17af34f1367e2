import Foundation

/// Errors, strictness, tracing, the environment and `import`.
extension NixEvaluator {
    static var controlPrimOps: [NixPrimOp] {
        [
            NixPrimOp("throw", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let message = try evaluator.coerceToString(arguments[0], context: &context, at: position)
                throw NixEvalError(message, at: position, kind: .thrown)
            },
            NixPrimOp("abort", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let message = try evaluator.coerceToString(arguments[0], context: &context, at: position)
                throw NixEvalError(
                    "evaluation aborted with the following error message: '\(message)'", at: position, kind: .abort)
            },
            NixPrimOp("addErrorContext", arity: 2) { evaluator, arguments, position in
                do {
                    return try evaluator.force(arguments[1])
                } catch let error as NixEvalError {
                    var context = Set<String>()
                    let step = try evaluator.coerceToString(arguments[0], context: &context, at: position)
                    throw error.adding(step)
                }
            },
            NixPrimOp("tryEval", arity: 1) { evaluator, arguments, _ in
                do {
                    let value = try evaluator.force(arguments[0])
                    return .attrs(NixAttrs(values: ["success": .true, "value": value]))
                } catch let error as NixEvalError where error.catchable {
                    return .attrs(NixAttrs(values: ["success": .false, "value": .false]))
                }
            },
            NixPrimOp("getEnv", arity: 1) { evaluator, arguments, position in
                .string(
                    ProcessInfo.processInfo.environment[try evaluator.plainString(arguments[0], at: position)] ?? "")
            },
            NixPrimOp("seq", arity: 2) { evaluator, arguments, _ in
                _ = try evaluator.force(arguments[0])
                return try evaluator.force(arguments[1])
            },
            NixPrimOp("deepSeq", arity: 2) { evaluator, arguments, _ in
                try evaluator.forceDeep(arguments[0])
                return try evaluator.force(arguments[1])
            },
            NixPrimOp("trace", arity: 2) { evaluator, arguments, _ in
                let message = try evaluator.force(arguments[0])
                if case .string(let string) = message {
                    evaluator.options.trace(string.text)
                } else {
                    evaluator.options.trace(NixPrinter.print(message))
                }
                return try evaluator.force(arguments[1])
            },
            NixPrimOp("import", arity: 1) { evaluator, arguments, position in
                try evaluator.importFile(try evaluator.coerceToPath(arguments[0], at: position), at: position)
            },
            NixPrimOp("scopedImport", arity: 2) { evaluator, arguments, position in
                let scope = try evaluator.attrs(arguments[0], at: position)
                let path = try evaluator.coerceToPath(arguments[1], at: position)
                return try evaluator.importFile(path, scope: scope, at: position)
            },
            NixPrimOp("findFile", arity: 2) { evaluator, arguments, position in
                var searchPath: [(prefix: String, path: String)] = []
                for entry in try evaluator.list(arguments[0], at: position).elements {
                    let attrs = try evaluator.attrs(entry, at: position)
                    let prefix = try attrs["prefix"].map { try evaluator.plainString($0, at: position) } ?? ""
                    guard let path = attrs["path"] else {
                        throw NixEvalError("attribute 'path' missing", at: position)
                    }
                    var context = Set<String>()
                    let directory = try evaluator.coerceToString(
                        path, context: &context, at: position, copyToStore: false)
                    searchPath.append((prefix, directory))
                }
                let name = try evaluator.plainString(arguments[1], at: position)
                return .path(try evaluator.findFile(name, in: searchPath, at: position))
            },
        ]
    }

    /// `<name>`: the first entry of the search path whose prefix matches and under which the rest
    /// exists; `<nix/…>` falls back to Nix's own files.
    func findFile(_ name: String, in searchPath: [(prefix: String, path: String)], at position: NixPosition?) throws
        -> String
    {
        let current = FileManager.default.currentDirectoryPath
        for (prefix, directory) in searchPath {
            let suffix: String
            if prefix.isEmpty {
                suffix = "/" + name
            } else {
                guard name.hasPrefix(prefix), name.count == prefix.count || name.dropFirst(prefix.count).first == "/"
                else { continue }
                suffix = name.count == prefix.count ? "" : String(name.dropFirst(prefix.count))
            }
            let candidate = NixParser.absolute(directory, from: current) + suffix
            if imported[candidate] == nil { noteRead(candidate) }
            if FileManager.default.fileExists(atPath: candidate) || imported[candidate] != nil {
                return NixParser.absolute(candidate, from: "/")
            }
        }
        if name.hasPrefix("nix/") { return NixEvaluator.corepkgs + name.dropFirst(4) }
        throw NixEvalError(
            "file '\(name)' was not found in the Nix search path (add it using $NIX_PATH or -I)", at: position,
            kind: .thrown)
    }
}
