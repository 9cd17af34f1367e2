import DevenvBasics
import DevenvStore
import Foundation

/// Evaluates Nix expressions lazily, as Nix 2.8 does: values are computed when forced, a thunk
/// forced while it is being computed is infinite recursion, `with` binds only what nothing
/// lexical does, and `builtins` are Nix's. One evaluator caches what it imports; it is not
/// thread-safe. Its values and parsed code are memory it owns (`NixArena`): use them only while
/// it exists.
public final class NixEvaluator {
    public struct Options {
        /// Store paths are computed for this directory (`builtins.storeDir`).
        public var storeDirectory = "/nix/store"
        /// `-I` entries then `NIX_PATH`'s: `(prefix, path)`, the prefix empty for a plain directory.
        public var searchPath: [(prefix: String, path: String)] = []
        public var currentSystem = CurrentSystem.name
        /// Where `builtins.trace` writes (what a clone's Nix code traces is shown escaped).
        public var trace: (String) -> Void = {
            StandardStream.error.write(TerminalText.shown("trace: " + $0) + "\n")
        }

        public init() {}
    }

    public static let nixVersion = "2.8.0"

    let options: Options
    let store: StoreDirectory
    private let baseScope: NixScope
    let baseEnvironment: NixEnvironment
    let builtins: NixAttrs
    /// What the values are made of (`NixArena`).
    let arena = NixArena()
    /// `import`ed files by path, each evaluated once.
    var imported: [String: NixValue] = [:]
    /// Every file and directory the evaluation looked at (imported, read, listed, hashed, tested
    /// for existence): what a cached result depends on besides the code it started from.
    public private(set) var filesRead: Set<String> = []
    /// Regular expressions by pattern, compiled once.
    var regexes: [String: NixRegex] = [:]
    /// Nesting of calls and forced thunks: at 0, the next notes the running thread's stack.
    /// This and `stackLimit` are used at every call, and the evaluator is not shared between
    /// threads: a dynamic exclusivity check of them would cost time and guard nothing.
    @exclusivity(unchecked) private var depth = 0
    /// The lowest stack address calls may reach (the stack grows down): `stackReserve` above the
    /// running thread's end of stack, so that runaway recursion is an error and not a crash.
    @exclusivity(unchecked) var stackLimit: UInt = 0
    /// Used at every call of a plain function, as `depth` is.
    @exclusivity(unchecked) private var spareEnvironments = NixSpareEnvironments()
    var stackThread: pthread_t?

    public init(options: Options = Options()) throws {
        self.options = options
        self.store = StoreDirectory(options.storeDirectory)
        let store = self.store
        // Made in the arena, which `self` cannot be used for before all its fields are set.
        let (builtins, names, values) = arena.enter {
            let builtins = NixAttrs()
            var names = ["builtins"]
            var values: [NixValue] = [.attrs(builtins)]
            func add(_ name: String, _ value: NixValue) {
                names.append(name)
                values.append(value)
                builtins.set(name.hasPrefix("__") ? String(name.dropFirst(2)) : name, value)
            }
            add("true", .true)
            add("false", .false)
            add("null", .null)
            add("__currentTime", .int(Int(Date().timeIntervalSince1970)))
            add("__currentSystem", .string(options.currentSystem))
            add("__nixVersion", .string(NixEvaluator.nixVersion))
            add("__storeDir", .string(store.path))
            add("__langVersion", .int(6))
            let nixPath = options.searchPath.map { entry in
                NixValue.attrs(NixAttrs(values: ["path": .string(entry.path), "prefix": .string(entry.prefix)]))
            }
            add("__nixPath", .list(NixList(nixPath)))
            for primop in NixEvaluator.primops {
                add(NixEvaluator.unprefixed.contains(primop.name) ? primop.name : "__" + primop.name, .primop(primop))
            }
            // Set once evaluated, below.
            add("derivation", .null)
            return (builtins, names, values)
        }
        let derivationSlot = values.count - 1
        self.builtins = builtins
        self.baseScope = NixScope(parent: nil, names: names)
        self.baseEnvironment = NixEnvironment(in: arena, parent: nil, values: values)
        let derivation = try parse(
            Array(NixEvaluator.derivationNix.utf8), file: "//builtin/derivation.nix", basePath: "/")
        let wrapper = try evaluate(derivation)
        baseEnvironment[derivationSlot] = wrapper
        builtins.set("derivation", wrapper)
    }

    /// Built-ins Nix puts in scope by their own name; all others are `__name` and `builtins.name`.
    private static let unprefixed: Set<String> = [
        "abort", "baseNameOf", "derivationStrict", "dirOf", "import", "isNull", "map", "placeholder",
        "removeAttrs", "scopedImport", "throw", "toString",
    ]

    static var primops: [NixPrimOp] {
        typePrimOps + arithmeticPrimOps + stringPrimOps + listPrimOps + attrsPrimOps + controlPrimOps
            + filePrimOps + serializationPrimOps + derivationPrimOps
    }

    // MARK: Parsing

    /// Parses and binds `source` in the scope of the builtins.
    public func parse(_ source: [UInt8], file: String, basePath: String) throws -> NixExpr {
        try arena.enter { try baseScope.bind(NixParser.parse(source, file: file, basePath: basePath)) }
    }

    public func evaluate(_ expression: NixExpr) throws -> NixValue {
        try arena.enter { try eval(expression, baseEnvironment) }
    }

    /// Makes `import path` (and `<name>` found at `path` through the search path) give `value`:
    /// how a host provides files that exist only in it, such as its package set as `<nixpkgs>`.
    public func provide(_ value: NixValue, at path: String) { imported[path] = value }

    func noteRead(_ path: String) { filesRead.insert(path) }

    /// `function argument`, forced.
    public func apply(_ function: NixValue, _ argument: NixValue) throws -> NixValue {
        try arena.enter { try force(try call(function, argument, at: nil)) }
    }

    /// A value as `toString` makes it a string (numbers, Booleans, lists and derivations too).
    public func text(of value: NixValue) throws -> NixString {
        var context = Set<String>()
        let text = try arena.enter {
            try coerceToString(value, context: &context, at: nil, coerceMore: true, copyToStore: false)
        }
        return NixString(text, context: context)
    }

    /// Evaluates a file as `import` does (a directory means its `default.nix`).
    public func evaluate(file: String) throws -> NixValue {
        try arena.enter {
            try importFile(NixParser.absolute(file, from: FileManager.default.currentDirectoryPath), at: nil)
        }
    }

    /// `import`: each file evaluated once. With a `scope` (`scopedImport`), the file sees the
    /// set's attributes as variables in front of the builtins, and is evaluated anew.
    func importFile(_ path: String, scope: NixAttrs? = nil, at position: NixPosition?) throws -> NixValue {
        var resolved = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue {
            resolved += "/default.nix"
        }
        if scope == nil, let cached = imported[resolved] { return cached }
        filesRead.insert(resolved)
        let source: [UInt8]
        if resolved == NixEvaluator.corepkgs + "fetchurl.nix" {
            source = Array(NixEvaluator.fetchurlNix.utf8)
        } else if let data = FileManager.default.contents(atPath: resolved) {
            source = Array(data)
        } else {
            throw NixEvalError("getting status of '\(resolved)': No such file or directory", at: position)
        }
        let basePath = (resolved as NSString).deletingLastPathComponent
        let value: NixValue
        if let scope {
            let names = scope.sortedNames
            let expression = try NixScope(parent: baseScope, names: names).bind(
                NixParser.parse(source, file: resolved, basePath: basePath))
            value = try eval(
                expression, NixEnvironment(in: arena, parent: baseEnvironment, values: names.map { scope[$0]! }))
        } else {
            value = try evaluate(try parse(source, file: resolved, basePath: basePath))
            imported[resolved] = value
        }
        return value
    }

    // MARK: Forcing

    /// The value itself, with thunks computed (weak head normal form).
    @inline(__always)
    public func force(_ value: NixValue) throws -> NixValue {
        guard case .thunk(let thunk) = value else { return value }
        return try force(thunk)
    }

    func force(_ thunk: NixThunk) throws -> NixValue {
        let state = thunk.state
        if case .done(let value) = state { return value }
        thunk.state = .running
        switch state {
        case .done(let value):
            return value
        case .running:
            throw NixEvalError("infinite recursion encountered")
        case .expression(let expression, let environment):
            do {
                try enter(at: nil)
            } catch {
                thunk.state = .expression(expression, environment)
                throw error
            }
            defer { depth -= 1 }
            do {
                let value = try eval(expression, environment)
                thunk.state = .done(value)
                return value
            } catch let error as NixEvalError {
                thunk.state = .expression(expression, environment)
                // A black hole's error has no place of its own: the thunk's expression is it.
                throw error.located(expression.position)
            } catch {
                thunk.state = .expression(expression, environment)
                throw error
            }
        case .application(let function, let argument, let position):
            do {
                try enter(at: position)
            } catch {
                thunk.state = .application(function, argument, position)
                throw error
            }
            defer { depth -= 1 }
            do {
                let value = try force(try call(function, argument, at: position))
                thunk.state = .done(value)
                return value
            } catch {
                thunk.state = .application(function, argument, position)
                throw error
            }
        case .deferred(let work):
            do {
                try enter(at: nil)
            } catch {
                thunk.state = .deferred(work)
                throw error
            }
            defer { depth -= 1 }
            do {
                let value = try force(try work._withUnsafeGuaranteedRef { try $0.work() })
                thunk.state = .done(value)
                return value
            } catch {
                thunk.state = .deferred(work)
                throw error
            }
        }
    }

    /// Forces everything inside, as `--strict` and `deepSeq` do: iteratively, so that long lists
    /// and deep sets do not grow the native stack.
    public func forceDeep(_ value: NixValue) throws {
        try arena.enter { try forceAll(value) }
    }

    private func forceAll(_ value: NixValue) throws {
        var seen = Set<ObjectIdentifier>()
        var pending: [(value: NixValue, attribute: (String, NixPosition?)?)] = [(value, nil)]
        while let (next, attribute) = pending.popLast() {
            let forced: NixValue
            do {
                forced = try force(next)
            } catch let error as NixEvalError {
                guard let (name, position) = attribute else { throw error }
                throw error.adding("while evaluating the attribute '\(name)'" + (position.map { " at \($0)" } ?? ""))
            }
            // Only what forcing can change is kept for later (a number or a string is done), the
            // attributes in Nix's order of names, reversed for the stack.
            switch forced {
            case .attrs(let attrs):
                guard seen.insert(attrs.identifier).inserted else { continue }
                for entry in attrs.sortedEntries.reversed() where NixEvaluator.mayNeedForcing(entry.attr.value) {
                    pending.append((entry.attr.value, (entry.name, entry.attr.position)))
                }
            case .list(let list):
                guard seen.insert(list.identifier).inserted else { continue }
                for element in list.elements.reversed() where NixEvaluator.mayNeedForcing(element) {
                    pending.append((element, nil))
                }
            default:
                break
            }
        }
    }

    private static func mayNeedForcing(_ value: NixValue) -> Bool {
        switch value {
        case .thunk, .attrs, .list: return true
        default: return false
        }
    }

    /// A value to store unevaluated: constants and variables as they are, anything else a thunk.
    @inline(__always)
    func lazy(_ expression: NixExpr, _ environment: NixEnvironment) -> NixValue {
        switch expression {
        case .int(let value): return .int(value)
        case .float(let value): return .float(value)
        case .string(let text): return .string(text)
        case .path(let path): return .path(path)
        case .local(let local):
            let (level, index) = local.read { ($0.level, $0.index) }
            var scope = environment
            for _ in 0..<level { scope = scope.parent! }
            let value = scope[index]
            if case .thunk(let thunk) = value, thunk === NixEnvironment.unset {
                return .thunk(NixThunk(expression, environment, in: arena))
            }
            return value
        case .lambda(let lambda): return closure(lambda, environment)
        default: return .thunk(NixThunk(expression, environment, in: arena))
        }
    }

    // MARK: Expressions

    /// Constants, variables and functions here, without the copies the loop below makes; the
    /// rest there.
    @inline(__always)
    func eval(_ expression: NixExpr, _ environment: NixEnvironment) throws -> NixValue {
        switch expression {
        case .int(let value): return .int(value)
        case .float(let value): return .float(value)
        case .local(let local):
            let (level, index) = local.read { ($0.level, $0.index) }
            return try variable(level, index, environment)
        case .lambda(let lambda): return closure(lambda, environment)
        default: return try evalComposite(expression, environment)
        }
    }

    /// A function value: `lambda` closed over `environment`, which must then outlive its call.
    @inline(__always)
    private func closure(_ lambda: NixNode<NixLambda>, _ environment: NixEnvironment) -> NixValue {
        environment.capture()
        return .lambda(NixClosure(lambda, environment, in: arena))
    }

    /// A bound variable's value, forced, and kept forced in its slot for the next use.
    @inline(__always)
    private func variable(_ level: Int, _ index: Int, _ environment: NixEnvironment) throws -> NixValue {
        var scope = environment
        for _ in 0..<level { scope = scope.parent! }
        let value = scope[index]
        guard case .thunk(let thunk) = value else { return value }
        let forced = try force(thunk)
        scope[index] = forced
        return forced
    }

    /// Loops instead of recursing for what is in tail position (the branch of an `if`, the body of
    /// a `let`, `with` or `assert`), so that those cost no native stack.
    @inline(never)
    private func evalComposite(_ expression: NixExpr, _ environment: NixEnvironment) throws -> NixValue {
        var expression = expression
        var environment = environment
        while true {
            switch expression {
            case .int(let value): return .int(value)
            case .float(let value): return .float(value)
            case .string(let text): return .string(text)
            case .path(let path): return .path(path)
            case .local(let local):
                let (level, index) = local.read { ($0.level, $0.index) }
                return try variable(level, index, environment)
            case .withVariable(let variable):
                return try force(try lookupWith(variable.name, variable.level, variable.position, environment))
            case .select(let select): return try select.read { try self.select($0, environment) }
            case .hasAttr(let hasAttr): return try hasAttr.read { try self.hasAttr($0, environment) }
            case .attrs(let attrs): return .attrs(try attrs.read { try evalAttrs($0, environment) })
            case .list(let list): return .list(NixList(list.elements.map { lazy($0, environment) }))
            case .lambda(let lambda): return closure(lambda, environment)
            case .call(let call): return try call.read { try self.call($0, environment) }
            case .let(let node):
                environment = node.read { letEnvironment($0.bindings, environment) }
                expression = node.read { $0.body }
            case .with(let with):
                let (attrs, body) = with.read { ($0.attrs, $0.body) }
                environment = NixEnvironment(
                    in: arena, parent: environment, first: lazy(attrs, environment), size: 1, with: with)
                expression = body
            case .if(let node):
                let (condition, then, otherwise, position) = node.read {
                    ($0.condition, $0.then, $0.otherwise, $0.position)
                }
                expression = try self.condition(condition, position, environment) ? then : otherwise
            case .assert(let node):
                let (condition, body, position) = node.read { ($0.condition, $0.body, $0.position) }
                guard try self.condition(condition, position, environment) else {
                    throw NixEvalError("assertion failed", at: position, kind: .assertion)
                }
                expression = body
            case .not(let node): return try node.read { try not($0, environment) }
            case .binary(let node): return try node.read { try binary($0, environment) }
            case .concatStrings(let node): return try node.read { try concatenate($0, environment) }
            case .currentPosition(let position): return .attrs(NixEvaluator.positionAttrs(position))
            case .variable(let variable):
                throw NixEvalError("undefined variable '\(variable.name)'", at: variable.position)
            }
        }
    }

    @inline(never)
    private func not(_ node: NixNot, _ environment: NixEnvironment) throws -> NixValue {
        .bool(!(try bool(eval(node.operand, environment), at: node.position)))
    }

    @inline(never)
    private func condition(_ condition: NixExpr, _ position: NixPosition, _ environment: NixEnvironment) throws
        -> Bool
    {
        let value = try eval(condition, environment)
        guard case .bool(let bool) = value else { return try self.bool(value, at: position) }
        return bool
    }

    @inline(never)
    private func letEnvironment(_ attrs: NixAttrsExpr, _ environment: NixEnvironment) -> NixEnvironment {
        let inner = NixEnvironment(in: arena, parent: environment, size: attrs.names.count)
        let definitions = attrs.definitions
        for index in definitions.indices {
            inner[index] = lazy(definitions[index].value, definitions[index].inherited ? environment : inner)
        }
        return inner
    }

    /// Inlined: a level of a recursion goes through it, and a frame of its own would cost stack.
    @inline(__always)
    private func call(_ call: NixCall, _ environment: NixEnvironment) throws -> NixValue {
        var value = try eval(call.function, environment)
        let arguments = call.arguments
        if arguments.count > 1, case .primop(let primop) = value, primop.arity == arguments.count {
            try enter(at: call.position)
            defer { depth -= 1 }
            return try primop.body(self, arguments.map { lazy($0, environment) }, call.position)
        }
        // Two at a time: `a: b: body` then makes no function value between them.
        var next = 0
        while next < arguments.count {
            let argument = lazy(arguments[next], environment)
            if next + 1 < arguments.count {
                value = try self.call(value, argument, lazy(arguments[next + 1], environment), at: call.position)
                next += 2
            } else {
                value = try self.call(value, argument, at: call.position)
                next += 1
            }
        }
        return value
    }

    @inline(never)
    private func hasAttr(_ hasAttr: NixHasAttr, _ environment: NixEnvironment) throws -> NixValue {
        var value = try eval(hasAttr.target, environment)
        for name in hasAttr.path {
            guard case .attrs(let attrs) = value, let found = attrs[try attrName(name, environment)] else {
                return .false
            }
            value = try force(found)
        }
        return .true
    }

    static func positionAttrs(_ position: NixPosition) -> NixAttrs {
        NixAttrs(values: [
            "file": .string(position.file), "line": .int(position.line), "column": .int(position.column),
        ])
    }

    /// A name only a `with` binds: the innermost `with`'s set, then each one further out.
    @inline(never)
    private func lookupWith(_ name: String, _ level: Int, _ position: NixPosition, _ environment: NixEnvironment)
        throws -> NixValue
    {
        var environment = environment
        for _ in 0..<level { environment = environment.parent! }
        while true {
            let attrs = try self.attrs(environment[0], at: position)
            environment[0] = .attrs(attrs)
            if let value = attrs[name] { return value }
            let up = environment.with!.enclosingWith
            guard up > 0 else {
                throw NixEvalError(
                    "undefined variable '\(name)'" + NixEvaluator.suggestion(name, among: attrs.sortedNames),
                    at: position)
            }
            for _ in 0..<up { environment = environment.parent! }
        }
    }

    func attrName(_ name: NixAttrName, _ environment: NixEnvironment) throws -> String {
        switch name {
        case .name(let text): return text
        case .dynamic(let expression): return try string(eval(expression, environment), at: nil).text
        }
    }

    @inline(never)
    private func select(_ select: NixSelect, _ environment: NixEnvironment) throws -> NixValue {
        let position = select.position
        var value = try eval(select.target, environment)
        for name in select.path {
            let key = try attrName(name, environment)
            guard case .attrs(let attrs) = value, let found = attrs[key] else {
                if let orDefault = select.orDefault { return try eval(orDefault, environment) }
                guard case .attrs(let attrs) = value else {
                    throw NixEvalError("value is \(value.typeDescription) while a set was expected", at: position)
                }
                throw NixEvalError(
                    "attribute '\(key)' missing" + NixEvaluator.suggestion(key, among: attrs.sortedNames), at: position)
            }
            do {
                value = try force(found)
            } catch let error as NixEvalError {
                throw error.adding("while evaluating the attribute '\(key)' at \(position)")
            }
            if case .thunk = found { attrs.store(key, value) }
        }
        return value
    }

    /// ", did you mean 'x'?" when a name is a small edit away from one that exists.
    static func suggestion(_ name: String, among names: [String]) -> String {
        let close = names.map { (NixEvaluator.editDistance(name, $0), $0) }
            .filter { $0.0 <= max(1, name.count / 3) }
            .sorted { $0 < $1 }.prefix(3).map(\.1)
        guard !close.isEmpty else { return "" }
        return "; did you mean " + close.map { "'\($0)'" }.joined(separator: ", ") + "?"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        guard abs(a.count - b.count) <= 3 else { return 4 }
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    @inline(never)
    private func evalAttrs(_ expression: NixAttrsExpr, _ environment: NixEnvironment) throws -> NixAttrs {
        let attrs = NixAttrs(minimumCapacity: expression.names.count + expression.dynamic.count)
        var scope = environment
        if expression.recursive {
            let inner = NixEnvironment(in: arena, parent: environment, size: expression.names.count)
            for (index, definition) in expression.definitions.enumerated() {
                let value = lazy(definition.value, definition.inherited ? environment : inner)
                inner[index] = value
                attrs.set(expression.names[index], value, at: definition.position)
            }
            scope = inner
            // `__overrides` replaces attributes, also for the others' references to them.
            if let overridesIndex = expression.definition("__overrides") {
                let overrides = try self.attrs(inner[overridesIndex], at: expression.position)
                for entry in overrides.sortedEntries {
                    if let index = expression.definition(entry.name) { inner[index] = entry.attr.value }
                    attrs.set(entry.name, entry.attr.value, at: entry.attr.position)
                }
            }
        } else {
            for (index, definition) in expression.definitions.enumerated() {
                attrs.set(expression.names[index], lazy(definition.value, environment), at: definition.position)
            }
        }
        for dynamic in expression.dynamic {
            let name = try eval(dynamic.name, scope)
            if case .null = name { continue }
            let key = try string(name, at: dynamic.position).text
            if let existing = attrs.entry(key) {
                let previous = existing.position.map { " at \($0)" } ?? ""
                throw NixEvalError("dynamic attribute '\(key)' already defined\(previous)", at: dynamic.position)
            }
            attrs.set(key, lazy(dynamic.value, scope), at: dynamic.position)
        }
        return attrs
    }

    @inline(never)
    private func binary(_ binary: NixBinary, _ environment: NixEnvironment) throws -> NixValue {
        let left = binary.left
        let right = binary.right
        let position = binary.position
        switch binary.op {
        case .equal: return .bool(try equal(eval(left, environment), eval(right, environment)))
        case .notEqual: return .bool(!(try equal(eval(left, environment), eval(right, environment))))
        case .and:
            guard try bool(eval(left, environment), at: position) else { return .false }
            return .bool(try bool(eval(right, environment), at: position))
        case .or:
            if try bool(eval(left, environment), at: position) { return .true }
            return .bool(try bool(eval(right, environment), at: position))
        case .implication:
            guard try bool(eval(left, environment), at: position) else { return .true }
            return .bool(try bool(eval(right, environment), at: position))
        case .update:
            let first = try attrs(eval(left, environment), at: position)
            let second = try attrs(eval(right, environment), at: position)
            if first.count == 0 { return .attrs(second) }
            if second.count == 0 { return .attrs(first) }
            return .attrs(first.updated(with: second))
        case .concatLists:
            let first = try list(eval(left, environment), at: position)
            let second = try list(eval(right, environment), at: position)
            if first.elements.isEmpty { return .list(second) }
            if second.elements.isEmpty { return .list(first) }
            return .list(NixList(first.elements + second.elements))
        }
    }

    private func concatenate(_ node: NixConcatenation, _ environment: NixEnvironment) throws -> NixValue {
        // `a + b` of two integers, the common case, without the general machinery.
        guard !node.forceString, node.parts.count == 2 else { return try concatenate(node, environment, first: nil) }
        let first = try eval(node.parts[0].1, environment)
        guard case .int(let a) = first else { return try concatenate(node, environment, first: first) }
        let second = try eval(node.parts[1].1, environment)
        guard case .int(let b) = second else {
            return try concatenate(node, environment, first: first, second: second)
        }
        return .int(a &+ b)  // wraps, as Nix 2.8's does
    }

    /// `"…${x}…"`, `./a/${b}` and `+`: numbers add, a first path makes a path, anything else a
    /// string (paths inside it copied to the store), as Nix's `ExprConcatStrings`.
    @inline(never)
    private func concatenate(
        _ node: NixConcatenation, _ environment: NixEnvironment, first: NixValue?, second: NixValue? = nil
    ) throws -> NixValue {
        let forceString = node.forceString
        let position = node.position
        enum Kind { case int, float, path, string }
        var kind = Kind.string
        var integer = 0
        var float = 0.0
        var text = ""
        var context = Set<String>()
        for (index, (partPosition, part)) in node.parts.enumerated() {
            let known = index == 0 ? first : index == 1 ? second : nil
            let value = try known ?? eval(part, environment)
            if index == 0 && !forceString {
                switch value {
                case .int: kind = .int
                case .float: kind = .float
                case .path: kind = .path
                default: kind = .string
                }
            }
            switch kind {
            case .int:
                switch value {
                case .int(let value):
                    integer = integer &+ value  // wraps, as Nix 2.8's does
                case .float(let value):
                    kind = .float
                    float = Double(integer) + value
                default:
                    throw NixEvalError("cannot add \(value.typeDescription) to an integer", at: partPosition)
                }
            case .float:
                switch value {
                case .int(let value): float += Double(value)
                case .float(let value): float += value
                default: throw NixEvalError("cannot add \(value.typeDescription) to a float", at: partPosition)
                }
            case .path, .string:
                text += try coerceToString(
                    value, context: &context, at: partPosition, copyToStore: kind == .string,
                    canonicalizePath: index != 0)
            }
        }
        switch kind {
        case .int: return .int(integer)
        case .float: return .float(float)
        case .path:
            guard context.isEmpty else {
                throw NixEvalError("a string that refers to a store path cannot be appended to a path", at: position)
            }
            return .path(NixParser.absolute(text, from: "/"))
        case .string: return .string(NixString(text, context: context))
        }
    }

    // MARK: Calls

    /// One level deeper: an error instead of a crash when the native stack is nearly used up.
    @inline(__always)
    private func enter(at position: NixPosition?) throws {
        if depth == 0 {
            noteStack()
            arena.makeCurrent()
        }
        depth += 1
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        guard here > stackLimit else {
            depth -= 1
            throw NixEvalError("stack overflow (possible infinite recursion)", at: position)
        }
    }

    @inline(__always)
    func call(_ function: NixValue, _ argument: NixValue, at position: NixPosition?) throws -> NixValue {
        try enter(at: position)
        defer { depth -= 1 }
        if case .lambda(let closure) = function {
            return try callLambda(closure.lambda, closure.environment, argument, at: position)
        }
        return try callOther(function, argument, at: position)
    }

    /// `function a b`: for `a: b: body` without making the intermediate function value.
    func call(_ function: NixValue, _ a: NixValue, _ b: NixValue, at position: NixPosition?) throws -> NixValue {
        if case .lambda(let closure) = function, let inner = closure.lambda.read({ $0.curried }) {
            return try call(inner, of: closure.environment, a, b, at: position)
        }
        return try call(try call(function, a, at: position), b, at: position)
    }

    /// `inner`, the `b: body` of `a: b: body` closed over `environment`, called with both: for a
    /// built-in that calls the same function many times (`foldl'`), which can take it apart once.
    func call(
        _ inner: NixNode<NixLambda>, of environment: NixEnvironment, _ a: NixValue, _ b: NixValue,
        at position: NixPosition?
    ) throws -> NixValue {
        try enter(at: position)
        defer { depth -= 1 }
        let first = spareEnvironments.take(in: arena, parent: environment, argument: a)
        let second = spareEnvironments.take(in: arena, parent: first, argument: b)
        let value = try traced(inner) { try eval(inner.read { $0.body }, second) }
        if spareEnvironments.giveBack(second) { spareEnvironments.giveBack(first) }
        return value
    }

    @inline(never)
    private func callOther(_ function: NixValue, _ argument: NixValue, at position: NixPosition?) throws -> NixValue {
        switch try force(function) {
        case .lambda(let closure):
            return try callLambda(closure.lambda, closure.environment, argument, at: position)
        case .primop(let primop):
            if primop.arity == 1 { return try primop.body(self, [argument], position) }
            return .partial(NixPartial(primop, [argument]))
        case .partial(let partial):
            let primop = partial.primop
            let all = partial.arguments + [argument]
            if all.count == primop.arity { return try primop.body(self, all, position) }
            return .partial(NixPartial(primop, all))
        case .attrs(let attrs):
            if let functor = attrs["__functor"] {
                return try call(try call(functor, .attrs(attrs), at: position), argument, at: position)
            }
            throw NixEvalError("attempt to call something which is not a function but a set", at: position)
        case let other:
            throw NixEvalError(
                "attempt to call something which is not a function but \(other.typeDescription)", at: position)
        }
    }

    private func callLambda(
        _ lambda: NixNode<NixLambda>, _ environment: NixEnvironment, _ argument: NixValue, at position: NixPosition?
    ) throws -> NixValue {
        let (hasFormals, body) = lambda.read { ($0.hasFormals, $0.body) }
        if hasFormals { return try callWithFormals(lambda, environment, argument, at: position) }
        let inner = spareEnvironments.take(in: arena, parent: environment, argument: argument)
        let value = try traced(lambda) { try eval(body, inner) }
        spareEnvironments.giveBack(inner)
        return value
    }

    /// Apart, so that the frame of the plain call, on the stack once per level of a recursion,
    /// stays small.
    @inline(never)
    private func callWithFormals(
        _ lambda: NixNode<NixLambda>, _ environment: NixEnvironment, _ argument: NixValue, at position: NixPosition?
    ) throws -> NixValue {
        let inner = try bindFormals(lambda, environment, argument, at: position)
        return try traced(lambda) { try eval(lambda.body, inner) }
    }

    /// The body of a call of `lambda`, its errors saying so.
    @inline(__always)
    private func traced(_ lambda: NixNode<NixLambda>, _ body: () throws -> NixValue) throws -> NixValue {
        do {
            return try body()
        } catch let error as NixEvalError {
            throw traced(error, lambda)
        }
    }

    @inline(never)
    private func traced(_ error: NixEvalError, _ lambda: NixNode<NixLambda>) -> NixEvalError {
        error.adding("while calling \(lambda.describe)")
    }

    /// The environment of a call of `{ a, b ? 1, ... }: …` (or `args@{ … }: …`).
    @inline(never)
    private func bindFormals(
        _ lambda: NixNode<NixLambda>, _ environment: NixEnvironment, _ argument: NixValue, at position: NixPosition?
    ) throws -> NixEnvironment {
        let inner: NixEnvironment
        var slot = 0
        if lambda.argument != nil {
            inner = NixEnvironment(in: arena, parent: environment, first: argument, size: lambda.environmentSize)
            slot = 1
        } else {
            inner = NixEnvironment(in: arena, parent: environment, size: lambda.environmentSize)
        }
        let formals = lambda.formals!
        let attrs = try self.attrs(argument, at: position)
        var used = 0
        for formal in formals {
            if let value = attrs[formal.name] {
                inner[slot] = value
                used += 1
            } else if let defaultValue = formal.defaultValue {
                inner[slot] = lazy(defaultValue, inner)
            } else {
                throw NixEvalError(
                    "\(lambda.describe) called without required argument '\(formal.name)'", at: position)
            }
            slot += 1
        }
        if !lambda.ellipsis && used < attrs.count {
            let known = Set(formals.map(\.name))
            let unexpected = attrs.sortedNames.first { !known.contains($0) }!
            throw NixEvalError(
                "\(lambda.describe) called with unexpected argument '\(unexpected)'", at: position)
        }
        return inner
    }
}

extension NixLambda {
    var describe: String {
        (name.map { "function '\($0)'" } ?? "anonymous function") + " at \(position)"
    }
}
