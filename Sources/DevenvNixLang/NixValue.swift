import Foundation

/// A value of the Nix language. Attribute sets, lists, thunks and environments are shared by
/// reference (a value used twice is printed `«repeated»` the second time) and a thunk, once
/// forced, is forced for everyone that holds it. Trivially copyable: what it refers to belongs
/// to the evaluator's arena (`NixArena`), so a value is valid as long as its evaluator.
public enum NixValue: BitwiseCopyable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(NixStringValue)
    /// Its text, with no context.
    case path(NixStringValue)
    case attrs(NixAttrs)
    case list(NixList)
    case lambda(NixClosure)
    case primop(NixPrimOp)
    /// A built-in function given fewer arguments than it takes.
    case partial(NixPartial)
    case thunk(NixThunk)

    static func string(_ text: String) -> NixValue { .string(NixStringValue(NixString(text))) }
    static func string(_ string: NixString) -> NixValue { .string(NixStringValue(string)) }
    static func path(_ text: String) -> NixValue { .path(NixStringValue(NixString(text))) }
    static var `true`: NixValue { .bool(true) }
    static var `false`: NixValue { .bool(false) }

    /// A string made outside evaluation, belonging to `evaluator`.
    public static func string(_ string: NixString, in evaluator: NixEvaluator) -> NixValue {
        .string(NixStringValue(string, in: evaluator.arena))
    }

    /// A path made outside evaluation, belonging to `evaluator`.
    public static func path(_ text: String, in evaluator: NixEvaluator) -> NixValue {
        .path(NixStringValue(NixString(text), in: evaluator.arena))
    }

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
        case .partial(let partial): return "the partially applied built-in function '\(partial.primop.name)'"
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

/// A string or path value: a `NixString` in the evaluator's arena.
public struct NixStringValue: BitwiseCopyable {
    private let pointer: UnsafePointer<NixString>

    init(_ string: NixString, in arena: NixArena = .current) { pointer = arena.store(string) }

    public var string: NixString { pointer.pointee }
    public var text: String { pointer.pointee.text }
    public var context: Set<String> { pointer.pointee.context }
}

public struct NixList: BitwiseCopyable {
    private let storage: Unmanaged<Storage>

    final class Storage {
        let elements: [NixValue]
        init(_ elements: [NixValue]) { self.elements = elements }
    }

    init(_ elements: [NixValue]) { storage = NixArena.current.keep(Storage(elements)) }

    /// A list made outside evaluation, belonging to `evaluator`.
    public init(_ elements: [NixValue], in evaluator: NixEvaluator) {
        storage = evaluator.arena.keep(Storage(elements))
    }

    public var elements: [NixValue] { storage._withUnsafeGuaranteedRef { $0.elements } }
    public var count: Int { storage._withUnsafeGuaranteedRef { $0.elements.count } }
    var identifier: ObjectIdentifier { ObjectIdentifier(storage.takeUnretainedValue()) }
}

/// A function value: a function's code and the environment it closes over, in the evaluator's
/// arena, so that a value is one word and its kind.
public struct NixClosure: BitwiseCopyable {
    private let pointer: UnsafePointer<(NixNode<NixLambda>, NixEnvironment)>

    init(_ lambda: NixNode<NixLambda>, _ environment: NixEnvironment, in arena: NixArena) {
        let pointer = arena.allocate(MemoryLayout<(NixNode<NixLambda>, NixEnvironment)>.stride)
            .bindMemory(to: (NixNode<NixLambda>, NixEnvironment).self, capacity: 1)
        pointer.initialize(to: (lambda, environment))
        self.pointer = UnsafePointer(pointer)
    }

    var lambda: NixNode<NixLambda> { @inline(__always) get { pointer.pointee.0 } }
    var environment: NixEnvironment { @inline(__always) get { pointer.pointee.1 } }
}

/// A built-in function: its name (for errors), how many arguments it takes, and what it does.
public struct NixPrimOp: BitwiseCopyable {
    private let storage: Unmanaged<Storage>

    final class Storage {
        let name: String
        let arity: Int
        let body: (NixEvaluator, [NixValue], NixPosition?) throws -> NixValue

        init(
            _ name: String, _ arity: Int, _ body: @escaping (NixEvaluator, [NixValue], NixPosition?) throws -> NixValue
        ) {
            self.name = name
            self.arity = arity
            self.body = body
        }
    }

    init(
        _ name: String, arity: Int, _ body: @escaping (NixEvaluator, [NixValue], NixPosition?) throws -> NixValue
    ) {
        storage = NixArena.current.keep(Storage(name, arity, body))
    }

    /// A built-in made outside evaluation, belonging to `evaluator`.
    public init(
        _ name: String, arity: Int, in evaluator: NixEvaluator,
        _ body: @escaping (NixEvaluator, [NixValue], NixPosition?) throws -> NixValue
    ) {
        storage = evaluator.arena.keep(Storage(name, arity, body))
    }

    public var name: String { storage._withUnsafeGuaranteedRef { $0.name } }
    public var arity: Int { storage._withUnsafeGuaranteedRef { $0.arity } }

    func body(_ evaluator: NixEvaluator, _ arguments: [NixValue], _ position: NixPosition?) throws -> NixValue {
        try storage._withUnsafeGuaranteedRef { try $0.body(evaluator, arguments, position) }
    }
}

/// A built-in function and the arguments it was given so far.
public struct NixPartial: BitwiseCopyable {
    private let storage: Unmanaged<Storage>

    final class Storage {
        let primop: NixPrimOp
        let arguments: [NixValue]
        init(_ primop: NixPrimOp, _ arguments: [NixValue]) {
            self.primop = primop
            self.arguments = arguments
        }
    }

    init(_ primop: NixPrimOp, _ arguments: [NixValue]) {
        storage = NixArena.current.keep(Storage(primop, arguments))
    }

    var primop: NixPrimOp { storage._withUnsafeGuaranteedRef { $0.primop } }
    var arguments: [NixValue] { storage._withUnsafeGuaranteedRef { $0.arguments } }
}
