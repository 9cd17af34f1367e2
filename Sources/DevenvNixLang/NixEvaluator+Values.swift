import DevenvStore
import Foundation

/// Forcing a value to the type an operation needs, coercion to strings, equality and ordering,
/// each with Nix's rules and Nix's errors.
extension NixEvaluator {
    private func expected(_ type: String, _ value: NixValue, _ position: NixPosition?) -> NixEvalError {
        NixEvalError("value is \(value.typeDescription) while \(type) was expected", at: position)
    }

    func bool(_ value: NixValue, at position: NixPosition?) throws -> Bool {
        guard case .bool(let bool) = try force(value) else { throw expected("a Boolean", try force(value), position) }
        return bool
    }

    func int(_ value: NixValue, at position: NixPosition?) throws -> Int {
        let forced = try force(value)
        guard case .int(let int) = forced else { throw expected("an integer", forced, position) }
        return int
    }

    func attrs(_ value: NixValue, at position: NixPosition?) throws -> NixAttrs {
        let forced = try force(value)
        guard case .attrs(let attrs) = forced else { throw expected("a set", forced, position) }
        return attrs
    }

    func list(_ value: NixValue, at position: NixPosition?) throws -> NixList {
        let forced = try force(value)
        guard case .list(let list) = forced else { throw expected("a list", forced, position) }
        return list
    }

    func string(_ value: NixValue, at position: NixPosition?) throws -> NixString {
        let forced = try force(value)
        guard case .string(let string) = forced else { throw expected("a string", forced, position) }
        return string.string
    }

    /// A string that must not depend on store paths (names, regexes, …).
    func plainString(_ value: NixValue, at position: NixPosition?) throws -> String {
        let string = try self.string(value, at: position)
        guard string.context.isEmpty else {
            throw NixEvalError(
                "the string '\(string.text)' is not allowed to refer to a store path (such as '\(string.context.sorted().first!)')",
                at: position)
        }
        return string.text
    }

    func function(_ value: NixValue, at position: NixPosition?) throws -> NixValue {
        let forced = try force(value)
        if forced.isFunction { return forced }
        if case .attrs(let attrs) = forced, attrs["__functor"] != nil { return forced }
        throw expected("a function", forced, position)
    }

    /// A number as a `Double`, for arithmetic mixing ints and floats.
    func number(_ value: NixValue, at position: NixPosition?) throws -> NixValue {
        let forced = try force(value)
        switch forced {
        case .int, .float: return forced
        default: throw expected("an integer", forced, position)
        }
    }

    // MARK: Strings

    /// Nix's `coerceToString`: strings as they are, paths (copied to the store when `copyToStore`),
    /// sets through `__toString` or `outPath`; with `coerceMore` also numbers, Booleans, null and
    /// lists (what `toString` accepts).
    func coerceToString(
        _ value: NixValue, context: inout Set<String>, at position: NixPosition?, coerceMore: Bool = false,
        copyToStore: Bool = true, canonicalizePath: Bool = true
    ) throws -> String {
        let forced = try force(value)
        switch forced {
        case .string(let string):
            context.formUnion(string.context)
            return string.text
        case .path(let path):
            let canonical = canonicalizePath ? NixParser.absolute(path.text, from: "/") : path.text
            guard copyToStore else { return canonical }
            return try copyToStoreAsSource(canonical, context: &context, at: position)
        case .attrs(let attrs):
            if let toString = attrs["__toString"] {
                let result = try call(toString, forced, at: position)
                return try coerceToString(
                    result, context: &context, at: position, coerceMore: coerceMore, copyToStore: copyToStore)
            }
            guard let outPath = attrs["outPath"] else {
                throw NixEvalError("cannot coerce a set to a string", at: position)
            }
            return try coerceToString(
                outPath, context: &context, at: position, coerceMore: coerceMore, copyToStore: copyToStore)
        case .bool(let bool) where coerceMore: return bool ? "1" : ""
        case .int(let int) where coerceMore: return String(int)
        case .float(let float) where coerceMore: return String(format: "%f", float)
        case .null where coerceMore: return ""
        case .list(let list) where coerceMore:
            var result = ""
            for (index, element) in list.elements.enumerated() {
                result += try coerceToString(
                    element, context: &context, at: position, coerceMore: true, copyToStore: copyToStore)
                if index < list.elements.count - 1 {
                    if case .list(let inner) = try force(element), inner.elements.isEmpty { continue }
                    result += " "
                }
            }
            return result
        default:
            throw NixEvalError("cannot coerce \(forced.typeDescription) to a string", at: position)
        }
    }

    /// A path as a string, not copied (`builtins.readFile`'s argument, `baseNameOf`, …).
    func coerceToPath(_ value: NixValue, context: inout Set<String>, at position: NixPosition?) throws -> String {
        let path = try coerceToString(value, context: &context, at: position, copyToStore: false)
        guard path.hasPrefix("/") else {
            throw NixEvalError("string '\(path)' doesn't represent an absolute path", at: position)
        }
        return path
    }

    func coerceToPath(_ value: NixValue, at position: NixPosition?) throws -> String {
        var context = Set<String>()
        return try coerceToPath(value, context: &context, at: position)
    }

    /// `"${./dir}"`: the path's store path, as `nix-instantiate --eval` computes it without
    /// writing (a NAR-hashed `source` path named after the file).
    func copyToStoreAsSource(_ path: String, context: inout Set<String>, at position: NixPosition?) throws -> String {
        if path.hasSuffix(".drv") {
            throw NixEvalError("file names are not allowed to end in '.drv'", at: position)
        }
        let name = (path as NSString).lastPathComponent
        noteRead(path)
        let storePath: String
        do {
            let hash = try Nar.hash(of: path).hash
            storePath = store.fullPath(of: try store.path(for: .fixed(recursive: true, hash: hash), name: name))
        } catch {
            throw NixEvalError("getting status of '\(path)': \(error)", at: position)
        }
        context.insert(storePath)
        return storePath
    }

    // MARK: Equality and order

    /// `==`: numbers across int and float, strings without their context, lists and sets by
    /// element, derivations by `outPath`; functions never equal, unless they are the same value.
    func equal(_ first: NixValue, _ second: NixValue) throws -> Bool {
        if case .thunk(let a) = first, case .thunk(let b) = second, a === b { return true }
        let first = try force(first)
        let second = try force(second)
        switch (first, second) {
        case (.int(let a), .int(let b)): return a == b
        case (.int(let a), .float(let b)): return Double(a) == b
        case (.float(let a), .int(let b)): return a == Double(b)
        case (.float(let a), .float(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a.text == b.text
        case (.path(let a), .path(let b)): return a.text == b.text
        case (.null, .null): return true
        case (.list(let a), .list(let b)):
            if a.identifier == b.identifier { return true }
            guard a.elements.count == b.elements.count else { return false }
            for (x, y) in zip(a.elements, b.elements) where !(try equal(x, y)) { return false }
            return true
        case (.attrs(let a), .attrs(let b)):
            if a.identifier == b.identifier { return true }
            if try isDerivation(a), try isDerivation(b), let x = a["outPath"], let y = b["outPath"] {
                return try equal(x, y)
            }
            guard a.count == b.count else { return false }
            for entry in a.sortedEntries {
                guard let other = b[entry.name], try equal(entry.attr.value, other) else { return false }
            }
            return true
        default:
            return false
        }
    }

    func isDerivation(_ attrs: NixAttrs) throws -> Bool {
        guard let type = attrs["type"], case .string(let string) = try force(type) else { return false }
        return string.text == "derivation"
    }

    /// `<`: numbers, strings and paths by bytes, lists lexicographically.
    func lessThan(_ first: NixValue, _ second: NixValue, at position: NixPosition?) throws -> Bool {
        let first = try force(first)
        let second = try force(second)
        switch (first, second) {
        case (.int(let a), .int(let b)): return a < b
        case (.int(let a), .float(let b)): return Double(a) < b
        case (.float(let a), .int(let b)): return a < Double(b)
        case (.float(let a), .float(let b)): return a < b
        case (.string(let a), .string(let b)): return NixAttrs.precedes(a.text, b.text)
        case (.path(let a), .path(let b)): return NixAttrs.precedes(a.text, b.text)
        case (.list(let a), .list(let b)):
            for index in 0... {
                if index == b.elements.count { return false }
                if index == a.elements.count { return true }
                if !(try equal(a.elements[index], b.elements[index])) {
                    return try lessThan(a.elements[index], b.elements[index], at: position)
                }
            }
            return false
        default:
            throw NixEvalError(
                "cannot compare \(first.typeDescription) with \(second.typeDescription)", at: position)
        }
    }
}
