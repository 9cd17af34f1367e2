import Foundation

/// Where a piece of Nix code starts: the file (or `«string»`, `«stdin»`), line and byte column.
/// Trivially copyable (the file is an index into `NixFileTable`), so that copying an expression or
/// a value that holds a position costs no reference counting.
public struct NixPosition: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    let fileID: UInt32
    private let storedLine: UInt32
    private let storedColumn: UInt32

    public init(file: String, line: Int, column: Int) {
        self.init(fileID: NixFileTable.shared.id(of: file), line: line, column: column)
    }

    init(fileID: UInt32, line: Int, column: Int) {
        self.fileID = fileID
        self.storedLine = UInt32(truncatingIfNeeded: line)
        self.storedColumn = UInt32(truncatingIfNeeded: column)
    }

    public var file: String { NixFileTable.shared.name(of: fileID) }
    public var line: Int { Int(storedLine) }
    public var column: Int { Int(storedColumn) }

    public var description: String { "\(file):\(line):\(column)" }
}

/// Every file name a position has named, each once, for the life of the process.
final class NixFileTable: @unchecked Sendable {
    static let shared = NixFileTable()
    private let lock = NSLock()
    private var names: [String] = []
    private var ids: [String: UInt32] = [:]

    func id(of name: String) -> UInt32 {
        lock.lock()
        defer { lock.unlock() }
        if let id = ids[name] { return id }
        let id = UInt32(names.count)
        names.append(name)
        ids[name] = id
        return id
    }

    func name(of id: UInt32) -> String {
        lock.lock()
        defer { lock.unlock() }
        return names[Int(id)]
    }
}

/// An expression of the Nix language, as Nix 2.8's parser builds it: operators that Nix desugars
/// into calls of `__sub`, `__lessThan`, … are such calls here too, so that redefining them works
/// as in Nix. Variables are `variable` after parsing and `local` or `withVariable` once bound.
/// Each composite form is a final class whose fields never change after binding, kept by the
/// arena of the evaluator that parsed it (`NixNode`): an expression is trivially copyable, so the
/// evaluator reads, matches and keeps one (in a thunk, a function value) without counting
/// references. A string or path literal is the value it evaluates to.
public enum NixExpr: BitwiseCopyable {
    case int(Int)
    case float(Double)
    case string(NixStringValue)
    case path(NixStringValue)
    case variable(NixNode<NixVariable>)
    case local(NixNode<NixLocal>)
    case withVariable(NixNode<NixWithVariable>)
    case select(NixNode<NixSelect>)
    case hasAttr(NixNode<NixHasAttr>)
    case attrs(NixNode<NixAttrsExpr>)
    case list(NixNode<NixListExpr>)
    case lambda(NixNode<NixLambda>)
    case call(NixNode<NixCall>)
    case `let`(NixNode<NixLet>)
    case with(NixNode<NixWith>)
    case `if`(NixNode<NixIf>)
    case assert(NixNode<NixAssert>)
    case not(NixNode<NixNot>)
    case binary(NixNode<NixBinary>)
    case concatStrings(NixNode<NixConcatenation>)
    case currentPosition(NixPosition)
}

/// A node of parsed code, kept by the arena current when it was made (the evaluator's that
/// parsed it), and referred to without counting. Reading a field through the member lookup
/// checks exclusivity; the evaluator's hot paths read through `read`, which does not.
@dynamicMemberLookup
public struct NixNode<Node: AnyObject>: BitwiseCopyable {
    private let reference: Unmanaged<Node>

    init(_ node: Node) { reference = NixArena.current.keep(node) }

    public subscript<Value>(dynamicMember keyPath: KeyPath<Node, Value>) -> Value {
        reference._withUnsafeGuaranteedRef { $0[keyPath: keyPath] }
    }

    /// `body` of the node, without counting a reference to it.
    @inline(__always)
    func read<Result>(_ body: (Node) throws -> Result) rethrows -> Result {
        try reference._withUnsafeGuaranteedRef(body)
    }

    /// The node itself, for what changes it or passes it on.
    var node: Node { reference.takeUnretainedValue() }
}

/// The forms as the parser and the binding build them, each node put in the current arena.
extension NixExpr {
    static func string(_ text: String) -> NixExpr { .string(NixStringValue(NixString(text))) }
    static func path(_ text: String) -> NixExpr { .path(NixStringValue(NixString(text))) }
    static func variable(_ node: NixVariable) -> NixExpr { .variable(NixNode(node)) }
    static func local(_ node: NixLocal) -> NixExpr { .local(NixNode(node)) }
    static func withVariable(_ node: NixWithVariable) -> NixExpr { .withVariable(NixNode(node)) }
    static func attrs(_ node: NixAttrsExpr) -> NixExpr { .attrs(NixNode(node)) }
    static func lambda(_ node: NixLambda) -> NixExpr { .lambda(NixNode(node)) }
    static func with(_ node: NixWith) -> NixExpr { .with(NixNode(node)) }
}

/// The forms as the parser and the binding build them.
extension NixExpr {
    static func variable(_ name: String, _ position: NixPosition) -> NixExpr {
        .variable(NixNode(NixVariable(name: name, position: position)))
    }

    static func select(_ target: NixExpr, _ path: [NixAttrName], orDefault: NixExpr?, _ position: NixPosition)
        -> NixExpr
    {
        .select(NixNode(NixSelect(target: target, path: path, orDefault: orDefault, position: position)))
    }

    static func hasAttr(_ target: NixExpr, _ path: [NixAttrName], _ position: NixPosition) -> NixExpr {
        .hasAttr(NixNode(NixHasAttr(target: target, path: path, position: position)))
    }

    static func list(_ elements: [NixExpr]) -> NixExpr { .list(NixNode(NixListExpr(elements: elements))) }

    static func call(_ function: NixExpr, _ arguments: [NixExpr], _ position: NixPosition) -> NixExpr {
        .call(NixNode(NixCall(function: function, arguments: arguments, position: position)))
    }

    static func `let`(_ bindings: NixAttrsExpr, _ body: NixExpr) -> NixExpr {
        .let(NixNode(NixLet(bindings: bindings, body: body)))
    }

    static func `if`(_ condition: NixExpr, then: NixExpr, else otherwise: NixExpr, _ position: NixPosition)
        -> NixExpr
    {
        .if(NixNode(NixIf(condition: condition, then: then, otherwise: otherwise, position: position)))
    }

    static func assert(_ condition: NixExpr, _ body: NixExpr, _ position: NixPosition) -> NixExpr {
        .assert(NixNode(NixAssert(condition: condition, body: body, position: position)))
    }

    static func not(_ operand: NixExpr, _ position: NixPosition) -> NixExpr {
        .not(NixNode(NixNot(operand: operand, position: position)))
    }

    static func binary(_ op: NixBinaryOperator, _ left: NixExpr, _ right: NixExpr, _ position: NixPosition)
        -> NixExpr
    {
        .binary(NixNode(NixBinary(op: op, left: left, right: right, position: position)))
    }

    static func concatStrings(_ parts: [(NixPosition, NixExpr)], forceString: Bool, _ position: NixPosition)
        -> NixExpr
    {
        .concatStrings(NixNode(NixConcatenation(parts: parts, forceString: forceString, position: position)))
    }
}

extension NixExpr {
    /// Where the expression starts, for the forms that record it.
    var position: NixPosition? {
        switch self {
        case .variable(let node): return node.position
        case .local(let node): return node.position
        case .withVariable(let node): return node.position
        case .select(let node): return node.position
        case .hasAttr(let node): return node.position
        case .call(let node): return node.position
        case .if(let node): return node.position
        case .assert(let node): return node.position
        case .not(let node): return node.position
        case .binary(let node): return node.position
        case .concatStrings(let node): return node.position
        case .currentPosition(let position): return position
        case .attrs(let attrs): return attrs.position
        case .lambda(let lambda): return lambda.position
        case .with(let with): return with.position
        case .int, .float, .string, .path, .list, .let: return nil
        }
    }
}

/// A name as written, before binding.
public final class NixVariable {
    public let name: String
    public let position: NixPosition

    init(name: String, position: NixPosition) {
        self.name = name
        self.position = position
    }
}

/// A variable bound by a `let`, `rec`, function or the builtins: `level` environments up, at
/// `index`.
public final class NixLocal {
    public let name: String
    public let position: NixPosition
    let level: Int
    let index: Int

    init(name: String, position: NixPosition, level: Int, index: Int) {
        self.name = name
        self.position = position
        self.level = level
        self.index = index
    }
}

/// A variable only a `with` can bind: `level` environments up is the innermost `with`.
public final class NixWithVariable {
    public let name: String
    public let position: NixPosition
    let level: Int

    init(name: String, position: NixPosition, level: Int) {
        self.name = name
        self.position = position
        self.level = level
    }
}

/// `target.a.b` and `target.a.b or default`.
public final class NixSelect {
    public let target: NixExpr
    public let path: [NixAttrName]
    public let orDefault: NixExpr?
    public let position: NixPosition

    init(target: NixExpr, path: [NixAttrName], orDefault: NixExpr?, position: NixPosition) {
        self.target = target
        self.path = path
        self.orDefault = orDefault
        self.position = position
    }
}

/// `target ? a.b`.
public final class NixHasAttr {
    public let target: NixExpr
    public let path: [NixAttrName]
    public let position: NixPosition

    init(target: NixExpr, path: [NixAttrName], position: NixPosition) {
        self.target = target
        self.path = path
        self.position = position
    }
}

/// `[ a b c ]`.
public final class NixListExpr {
    public let elements: [NixExpr]

    init(elements: [NixExpr]) { self.elements = elements }
}

/// `function a b …`: arguments given together are one call, as in Nix.
public final class NixCall {
    public let function: NixExpr
    public let arguments: [NixExpr]
    public let position: NixPosition

    init(function: NixExpr, arguments: [NixExpr], position: NixPosition) {
        self.function = function
        self.arguments = arguments
        self.position = position
    }
}

/// `let bindings in body`.
public final class NixLet {
    public let bindings: NixAttrsExpr
    public let body: NixExpr

    init(bindings: NixAttrsExpr, body: NixExpr) {
        self.bindings = bindings
        self.body = body
    }
}

/// `if condition then a else b`.
public final class NixIf {
    public let condition: NixExpr
    public let then: NixExpr
    public let otherwise: NixExpr
    public let position: NixPosition

    init(condition: NixExpr, then: NixExpr, otherwise: NixExpr, position: NixPosition) {
        self.condition = condition
        self.then = then
        self.otherwise = otherwise
        self.position = position
    }
}

/// `assert condition; body`.
public final class NixAssert {
    public let condition: NixExpr
    public let body: NixExpr
    public let position: NixPosition

    init(condition: NixExpr, body: NixExpr, position: NixPosition) {
        self.condition = condition
        self.body = body
        self.position = position
    }
}

/// `!operand`.
public final class NixNot {
    public let operand: NixExpr
    public let position: NixPosition

    init(operand: NixExpr, position: NixPosition) {
        self.operand = operand
        self.position = position
    }
}

/// The operators Nix evaluates itself rather than as calls: `==`, `&&`, `//`, `++`, ….
public final class NixBinary {
    public let op: NixBinaryOperator
    public let left: NixExpr
    public let right: NixExpr
    public let position: NixPosition

    init(op: NixBinaryOperator, left: NixExpr, right: NixExpr, position: NixPosition) {
        self.op = op
        self.left = left
        self.right = right
        self.position = position
    }
}

/// `"a${b}c"`, a path with `${}`, and `+`: `forceString` is false for `+`, whose result's type
/// follows its first operand.
public final class NixConcatenation {
    public let parts: [(NixPosition, NixExpr)]
    public let forceString: Bool
    public let position: NixPosition

    init(parts: [(NixPosition, NixExpr)], forceString: Bool, position: NixPosition) {
        self.parts = parts
        self.forceString = forceString
        self.position = position
    }
}

public enum NixBinaryOperator: String, Sendable {
    case equal = "=="
    case notEqual = "!="
    case and = "&&"
    case or = "||"
    case implication = "->"
    case update = "//"
    case concatLists = "++"
}

/// One name of an attribute path: fixed, or `${…}` / `"…${…}"` computed when evaluated.
public enum NixAttrName {
    case name(String)
    case dynamic(NixExpr)
}

/// `{ … }`, `rec { … }` and the bindings of `let`. A class because nested paths (`a.b = 1; a.c =
/// 2;`) are merged into the set they name while parsing, and binding rewrites the values in place.
public final class NixAttrsExpr {
    public struct Definition {
        public var value: NixExpr
        public var position: NixPosition
        /// `inherit x;` and `inherit (e) x;` take `x` from outside a `rec` or `let`.
        public var inherited: Bool
    }

    public struct DynamicDefinition {
        public var name: NixExpr
        public var value: NixExpr
        public var position: NixPosition
    }

    // What parsing and binding set is read at every evaluation and changes no more after them:
    // a dynamic exclusivity check of it would cost time and guard nothing.
    @exclusivity(unchecked) public var recursive: Bool
    public let position: NixPosition
    /// In the order written; `index` finds a name.
    @exclusivity(unchecked) public internal(set) var names: [String] = []
    @exclusivity(unchecked) public internal(set) var definitions: [Definition] = []
    @exclusivity(unchecked) public internal(set) var dynamic: [DynamicDefinition] = []
    var index: [String: Int] = [:]

    init(recursive: Bool = false, position: NixPosition) {
        self.recursive = recursive
        self.position = position
    }

    func definition(_ name: String) -> Int? { index[name] }

    func define(_ name: String, _ definition: Definition) {
        index[name] = names.count
        names.append(name)
        definitions.append(definition)
    }

    func replace(at position: Int, with value: NixExpr) { definitions[position].value = value }
    func addDynamic(_ definition: DynamicDefinition) { dynamic.append(definition) }
    func replaceDynamic(at position: Int, name: NixExpr, value: NixExpr) {
        dynamic[position].name = name
        dynamic[position].value = value
    }
}

/// `x: body`, `{ a, b ? 1, ... }: body` and `args@{ … }: body`.
public final class NixLambda {
    public struct Formal {
        public let name: String
        public var defaultValue: NixExpr?
        public let position: NixPosition
    }

    public let argument: String?
    /// `nil` for a plain `x: body`.
    public let formals: [Formal]?
    /// Whether `formals` is not `nil`, known without copying them at each call.
    let hasFormals: Bool
    public let ellipsis: Bool
    public let body: NixExpr
    /// `y: …` of a plain `x: y: …`: a call with both arguments makes no function value between.
    let curried: NixNode<NixLambda>?
    public let position: NixPosition
    /// Set when bound to a name (`f = x: …`), for traces.
    public internal(set) var name: String?

    init(
        argument: String?, formals: [Formal]?, ellipsis: Bool, body: NixExpr, position: NixPosition,
        name: String? = nil
    ) {
        self.argument = argument
        self.formals = formals
        self.hasFormals = formals != nil
        self.ellipsis = ellipsis
        self.body = body
        if formals == nil, case .lambda(let inner) = body, inner.formals == nil {
            self.curried = inner
        } else {
            self.curried = nil
        }
        self.position = position
        self.name = name
    }

    /// The same function with its variables bound (the fields evaluation reads never change, so
    /// that it can read them without copying).
    func bound(formals: [Formal]?, body: NixExpr) -> NixLambda {
        NixLambda(
            argument: argument, formals: formals, ellipsis: ellipsis, body: body, position: position, name: name)
    }

    func named(_ name: String) { if self.name == nil { self.name = name } }

    /// How many slots its environment has: the argument's name, then each formal.
    var environmentSize: Int { (argument == nil ? 0 : 1) + (formals?.count ?? 0) }
}

/// `with attrs; body`: `enclosingWith` is how many environments up from the `with`'s own the next
/// `with` out is (0: none), which is where a name it lacks is looked up next.
public final class NixWith {
    public let attrs: NixExpr
    public let body: NixExpr
    public let position: NixPosition
    let enclosingWith: Int

    init(attrs: NixExpr, body: NixExpr, position: NixPosition, enclosingWith: Int = 0) {
        self.attrs = attrs
        self.body = body
        self.position = position
        self.enclosingWith = enclosingWith
    }
}
