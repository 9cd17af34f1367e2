import Foundation

/// A value of the Nix language. Attribute sets, lists, thunks and environments are classes: Nix
/// shares them by reference (a value used twice is printed `«repeated»` the second time) and a
/// thunk, once forced, is forced for everyone that holds it.
public enum NixValue {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(NixString)
    case path(String)
    case attrs(NixAttrs)
    case list(NixList)
    case lambda(NixLambda, NixEnvironment)
    case primop(NixPrimOp)
    /// A built-in function given fewer arguments than it takes.
    case partial(NixPrimOp, [NixValue])
    case thunk(NixThunk)

    static func string(_ text: String) -> NixValue { .string(NixString(text)) }
    static var `true`: NixValue { .bool(true) }
    static var `false`: NixValue { .bool(false) }

    /// Nix's `showType`, for errors: "an integer", "a set", …
    public var typeDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a Boolean"
        case .int: return "an integer"
        case .float: return "a float"
        case .string(let string): return string.context.isEmpty ? "a string" : "a string with context"
        case .path: return "a path"
        case .attrs: return "a set"
        case .list: return "a list"
        case .lambda: return "a function"
        case .primop(let primop): return "the built-in function '\(primop.name)'"
        case .partial(let primop, _): return "the partially applied built-in function '\(primop.name)'"
        case .thunk: return "a thunk"
        }
    }

    /// `builtins.typeOf`.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "string"
        case .path: return "path"
        case .attrs: return "set"
        case .list: return "list"
        case .lambda, .primop, .partial: return "lambda"
        case .thunk: return "thunk"
        }
    }

    var isFunction: Bool {
        switch self {
        case .lambda, .primop, .partial: return true
        default: return false
        }
    }
}

/// A string and its context: the store paths (`/nix/store/…`, `=…drv` for a derivation and all
/// its outputs, `!out!…drv` for one output) it was made from, which a derivation using it depends on.
public struct NixString {
    public var text: String
    public var context: Set<String>

    public init(_ text: String, context: Set<String> = []) {
        self.text = text
        self.context = context
    }
}

/// An attribute set: values by name, each with where it was defined.
public final class NixAttrs {
    public struct Attr {
        public var value: NixValue
        public var position: NixPosition?
    }

    public private(set) var entries: [String: Attr]
    private var sortedNamesCache: [String]?

    public init(_ entries: [String: Attr] = [:]) { self.entries = entries }

    init(minimumCapacity: Int) { self.entries = Dictionary(minimumCapacity: minimumCapacity) }

    public convenience init(values: [String: NixValue]) {
        self.init(values.mapValues { Attr(value: $0, position: nil) })
    }

    public var count: Int { entries.count }
    public subscript(name: String) -> NixValue? { entries[name]?.value }

    /// Names in Nix's order: by bytes.
    public var sortedNames: [String] {
        if let sortedNamesCache { return sortedNamesCache }
        // Most comparisons are decided by the first eight bytes, compared as one number.
        var keyed = entries.keys.map { (NixAttrs.leadingBytes(of: $0), $0) }
        keyed.sort { $0.0 != $1.0 ? $0.0 < $1.0 : NixAttrs.precedes($0.1, $1.1) }
        let sorted = keyed.map(\.1)
        sortedNamesCache = sorted
        return sorted
    }

    /// The first eight bytes of the UTF-8 as a big-endian number, zeros after a shorter name:
    /// two names whose numbers differ are in the numbers' order.
    private static func leadingBytes(of name: String) -> UInt64 {
        var name = name
        return name.withUTF8 { bytes in
            var leading: UInt64 = 0
            for index in 0..<8 { leading = leading << 8 | (index < bytes.count ? UInt64(bytes[index]) : 0) }
            return leading
        }
    }

    static func precedes(_ a: String, _ b: String) -> Bool {
        // Byte order of the UTF-8, by `memcmp` when both are contiguous (native strings are).
        let order = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order != 0 ? order < 0 : x.count < y.count
            }
        }
        if let order, let order { return order }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Only while the set is being built, before anyone else sees it.
    public func set(_ name: String, _ value: NixValue, at position: NixPosition? = nil) {
        entries[name] = Attr(value: value, position: position)
        sortedNamesCache = nil
    }

    /// Keeps a forced value, so the next lookup need not go through the thunk.
    func store(_ name: String, _ value: NixValue) { entries[name]?.value = value }
}

public final class NixList {
    public var elements: [NixValue]
    public init(_ elements: [NixValue]) { self.elements = elements }
}

/// A suspended computation: an expression in its environment, or a built-in's deferred work (the
/// elements of `map f list` are each `f x`, computed only when used). Forcing it twice while the
/// first is still running is infinite recursion, as Nix's black hole.
public final class NixThunk {
    enum State {
        case expression(NixExpr, NixEnvironment)
        /// `function argument`, a built-in's element (`map`, `genList`, …).
        case application(NixValue, NixValue, NixPosition?)
        case deferred(() throws -> NixValue)
        case running
        case done(NixValue)
    }

    /// Read and written at every force; a thunk belongs to one evaluator, which is not shared
    /// between threads, so the dynamic exclusivity check would guard nothing.
    @exclusivity(unchecked) var state: State

    init(_ expression: NixExpr, _ environment: NixEnvironment) { state = .expression(expression, environment) }
    init(_ deferred: @escaping () throws -> NixValue) { state = .deferred(deferred) }
    init(applying function: NixValue, to argument: NixValue, at position: NixPosition?) {
        state = .application(function, argument, position)
    }
}

/// The values of one scope at run time (see `NixScope`); a `with`'s holds its set in slot 0. One
/// allocation: the slots are stored after the header, in the object itself.
public final class NixEnvironment: ManagedBuffer<NixEnvironmentHeader, NixValue> {

    @inline(__always)
    private static func make(parent: NixEnvironment?, count: Int, with: NixWith? = nil) -> NixEnvironment {
        let buffer = NixEnvironment.create(minimumCapacity: count) { _ in
            NixEnvironmentHeader(parent: parent, with: with, count: count)
        }
        return unsafeDowncast(buffer, to: NixEnvironment.self)
    }

    static func make(parent: NixEnvironment?, values: [NixValue], with: NixWith? = nil) -> NixEnvironment {
        let environment = make(parent: parent, count: values.count, with: with)
        environment.withUnsafeMutablePointerToElements { elements in
            _ = UnsafeMutableBufferPointer(start: elements, count: values.count).initialize(from: values)
        }
        return environment
    }

    /// An environment whose slots are filled after it is made: until then each holds `unset`.
    @inline(__always)
    static func make(parent: NixEnvironment?, size: Int) -> NixEnvironment {
        let environment = make(parent: parent, count: size)
        environment.withUnsafeMutablePointerToElements { elements in
            elements.initialize(repeating: .thunk(NixEnvironment.unset), count: size)
        }
        return environment
    }

    /// `first` in slot 0, the others (if any) `unset`: a function's argument, a `with`'s set.
    @inline(__always)
    static func make(parent: NixEnvironment?, first: NixValue, size: Int, with: NixWith? = nil)
        -> NixEnvironment
    {
        let environment = make(parent: parent, count: size, with: with)
        environment.withUnsafeMutablePointerToElements { elements in
            elements.initialize(to: first)
            if size > 1 { (elements + 1).initialize(repeating: .thunk(NixEnvironment.unset), count: size - 1) }
        }
        return environment
    }

    deinit {
        // One by one: `deinitialize(count:)` goes through the runtime's generic destruction of an
        // array, slow for the one or two slots most environments have.
        withUnsafeMutablePointers { header, elements in
            for index in 0..<header.pointee.count { _ = (elements + index).move() }
        }
    }

    // Through a pointer rather than `header`, a class property whose every read would pay for a
    // dynamic exclusivity check (the header never changes after `make`).
    // For a spare environment of one slot (`NixSpareEnvironments`): made that of another call, or
    // put aside.

    func reuse(parent: NixEnvironment, first: NixValue) {
        withUnsafeMutablePointers { header, elements in
            header.pointee.parent = parent
            elements.pointee = first
        }
    }

    func reuse(first: NixValue) { withUnsafeMutablePointerToElements { $0.pointee = first } }

    /// Swaps the parent with `other`, moving both references rather than copying them.
    func exchangeParent(_ other: inout NixEnvironment?) {
        withUnsafeMutablePointerToHeader { swap(&$0.pointee.parent, &other) }
    }

    var parent: NixEnvironment? { @inline(__always) get { withUnsafeMutablePointerToHeader { $0.pointee.parent } } }
    var with: NixWith? { withUnsafeMutablePointerToHeader { $0.pointee.with } }
    var count: Int { withUnsafeMutablePointerToHeader { $0.pointee.count } }

    subscript(index: Int) -> NixValue {
        @inline(__always) get { withUnsafeMutablePointerToElements { $0[index] } }
        @inline(__always) set { withUnsafeMutablePointerToElements { $0[index] = newValue } }
    }

    /// What a slot holds before its value is put there (a `rec` set's, a `let`'s, a default
    /// argument's): a reference to it is then made a thunk, not a copy of the slot.
    nonisolated(unsafe) static let unset = NixThunk {
        throw NixEvalError("internal error: a variable was used before it was set")
    }
}

public struct NixEnvironmentHeader {
    /// Changed only for a spare environment (`NixSpareEnvironments`).
    var parent: NixEnvironment?
    let with: NixWith?
    let count: Int
}

/// A built-in function: its name (for errors), how many arguments it takes, and what it does.
public final class NixPrimOp {
    public let name: String
    public let arity: Int
    let body: (NixEvaluator, [NixValue], NixPosition?) throws -> NixValue

    public init(
        _ name: String, arity: Int, _ body: @escaping (NixEvaluator, [NixValue], NixPosition?) throws -> NixValue
    ) {
        self.name = name
        self.arity = arity
        self.body = body
    }
}
