import Foundation

/// Where a piece of Nix code starts: the file (or `«string»`, `«stdin»`), line and byte column.
/// Trivially copyable (the file is an index into `NixFileTable`), so that copying an expression or
/// a value that holds a position costs no reference counting.
public struct NixPosition: Hashable, Sendable, CustomStringConvertible {
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
public indirect enum NixExpr {
    case int(Int)
    case float(Double)
    case string(String)
    case path(String)
    case variable(String, NixPosition)
    /// A variable bound by a `let`, `rec`, function or the builtins: `level` environments up, at
    /// `index`.
    case local(level: Int, index: Int, name: String, NixPosition)
    /// A variable only a `with` can bind: `level` environments up is the innermost `with`.
    case withVariable(String, level: Int, NixPosition)
    case select(NixExpr, [NixAttrName], orDefault: NixExpr?, NixPosition)
    case hasAttr(NixExpr, [NixAttrName], NixPosition)
    case attrs(NixAttrsExpr)
    case list([NixExpr])
    case lambda(NixLambda)
    case call(NixExpr, [NixExpr], NixPosition)
    case `let`(NixAttrsExpr, NixExpr)
    case with(NixWith)
    case `if`(NixExpr, then: NixExpr, else: NixExpr, NixPosition)
    case assert(NixExpr, NixExpr, NixPosition)
    case not(NixExpr, NixPosition)
    case binary(NixBinaryOperator, NixExpr, NixExpr, NixPosition)
    /// `"a${b}c"`, a path with `${}`, and `+`: `forceString` is false for `+`, whose result's type
    /// follows its first operand.
    case concatStrings([(NixPosition, NixExpr)], forceString: Bool, NixPosition)
    case currentPosition(NixPosition)
}

extension NixExpr {
    /// Where the expression starts, for the forms that record it.
    var position: NixPosition? {
        switch self {
        case .variable(_, let position), .local(_, _, _, let position), .withVariable(_, _, let position),
            .select(_, _, _, let position), .hasAttr(_, _, let position), .call(_, _, let position),
            .if(_, _, _, let position), .assert(_, _, let position), .not(_, let position),
            .binary(_, _, _, let position), .concatStrings(_, _, let position), .currentPosition(let position):
            return position
        case .attrs(let attrs): return attrs.position
        case .lambda(let lambda): return lambda.position
        case .with(let with): return with.position
        case .int, .float, .string, .path, .list, .let: return nil
        }
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

    public var recursive: Bool
    public let position: NixPosition
    /// In the order written; `index` finds a name.
    public internal(set) var names: [String] = []
    public internal(set) var definitions: [Definition] = []
    public internal(set) var dynamic: [DynamicDefinition] = []
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
    public internal(set) var formals: [Formal]?
    public let ellipsis: Bool
    public internal(set) var body: NixExpr
    public let position: NixPosition
    /// Set when bound to a name (`f = x: …`), for traces.
    public internal(set) var name: String?

    init(argument: String?, formals: [Formal]?, ellipsis: Bool, body: NixExpr, position: NixPosition) {
        self.argument = argument
        self.formals = formals
        self.ellipsis = ellipsis
        self.body = body
        self.position = position
    }

    func bind(formals: [Formal]?, body: NixExpr) {
        self.formals = formals
        self.body = body
    }

    func named(_ name: String) { if self.name == nil { self.name = name } }

    /// How many slots its environment has: the argument's name, then each formal.
    var environmentSize: Int { (argument == nil ? 0 : 1) + (formals?.count ?? 0) }
}

/// `with attrs; body`: `enclosingWith` is how many environments up from the `with`'s own the next
/// `with` out is (0: none), which is where a name it lacks is looked up next.
public final class NixWith {
    public internal(set) var attrs: NixExpr
    public internal(set) var body: NixExpr
    public let position: NixPosition
    var enclosingWith = 0

    init(attrs: NixExpr, body: NixExpr, position: NixPosition) {
        self.attrs = attrs
        self.body = body
        self.position = position
    }

    func bind(attrs: NixExpr, body: NixExpr, enclosingWith: Int) {
        self.attrs = attrs
        self.body = body
        self.enclosingWith = enclosingWith
    }
}
