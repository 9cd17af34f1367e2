import Foundation

/// Paths and the files they name: read, never written (what goes to the store is computed).
extension NixEvaluator {
    static var filePrimOps: [NixPrimOp] {
        [
            NixPrimOp("toPath", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let path = try evaluator.coerceToPath(arguments[0], context: &context, at: position)
                return .string(NixString(NixParser.absolute(path, from: "/"), context: context))
            },
            NixPrimOp("pathExists", arity: 1) { evaluator, arguments, position in
                let path = try evaluator.coerceToPath(arguments[0], at: position)
                evaluator.noteRead(path)
                return .bool(FileManager.default.fileExists(atPath: path))
            },
            NixPrimOp("baseNameOf", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let path = try evaluator.coerceToString(
                    arguments[0], context: &context, at: position, copyToStore: false)
                return .string(NixString(NixEvaluator.baseName(of: path), context: context))
            },
            NixPrimOp("dirOf", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let value = try evaluator.force(arguments[0])
                let path = try evaluator.coerceToString(value, context: &context, at: position, copyToStore: false)
                let directory: String
                if let slash = path.lastIndex(of: "/") {
                    directory = slash == path.startIndex ? "/" : String(path[..<slash])
                } else {
                    directory = "."
                }
                if case .path = value { return .path(directory) }
                return .string(NixString(directory, context: context))
            },
            NixPrimOp("readFile", arity: 1) { evaluator, arguments, position in
                let path = try evaluator.coerceToPath(arguments[0], at: position)
                evaluator.noteRead(path)
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw NixEvalError("opening file '\(path)': No such file or directory", at: position)
                }
                let hasNul = data.withUnsafeBytes { bytes in
                    bytes.count > 0 && memchr(bytes.baseAddress!, 0, bytes.count) != nil
                }
                guard !hasNul else {
                    throw NixEvalError(
                        "the contents of the file '\(path)' cannot be represented as a Nix string", at: position)
                }
                return .string(String(decoding: data, as: UTF8.self))
            },
            NixPrimOp("readDir", arity: 1) { evaluator, arguments, position in
                let path = try evaluator.coerceToPath(arguments[0], at: position)
                evaluator.noteRead(path)
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                    throw NixEvalError("opening directory '\(path)': No such file or directory", at: position)
                }
                var entries: [String: NixValue] = [:]
                for name in names {
                    var status = stat()
                    let type: String
                    if lstat(path + "/" + name, &status) != 0 {
                        type = "unknown"
                    } else {
                        switch status.st_mode & S_IFMT {
                        case S_IFREG: type = "regular"
                        case S_IFDIR: type = "directory"
                        case S_IFLNK: type = "symlink"
                        default: type = "unknown"
                        }
                    }
                    entries[name] = .string(type)
                }
                return .attrs(NixAttrs(values: entries))
            },
        ]
    }

    /// Nix's `baseNameOf`: the last component, a trailing slash ignored.
    static func baseName(of path: String) -> String {
        var bytes = Array(path.utf8)
        guard !bytes.isEmpty else { return "" }
        if bytes.last == UInt8(ascii: "/") && bytes.count > 1 { bytes.removeLast() }
        let start = bytes.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0
        return String(decoding: bytes[start...], as: UTF8.self)
    }
}
