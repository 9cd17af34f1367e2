/// The names an expression can see, as Nix's `StaticEnv`: each scope (a `let`, `rec` set,
/// function or `with`) is one environment at run time, so a variable becomes "so many scopes up,
/// at this index" once, here, instead of a lookup by name at each use. A name no scope binds is
/// an error, unless a `with` is around, which may bind it when evaluated (as in Nix).
final class NixScope {
    let parent: NixScope?
    let isWith: Bool
    private let slots: [String: Int]

    init(parent: NixScope?, names: [String], isWith: Bool = false) {
        self.parent = parent
        self.isWith = isWith
        var slots: [String: Int] = [:]
        for (index, name) in names.enumerated() { slots[name] = index }
        self.slots = slots
    }

    /// Resolves every variable of `expression` in this scope.
    /// The parser bounds nesting, so this recursion is bounded too.
    func bind(_ expression: NixExpr) throws -> NixExpr {
        switch expression {
        case .int, .float, .string, .path, .currentPosition, .local, .withVariable:
            return expression
        case .variable(let name, let position):
            return try variable(name, position)
        case .select(let attrs, let path, let orDefault, let position):
            return .select(
                try bind(attrs), try bind(path), orDefault: try orDefault.map { try bind($0) },
                position)
        case .hasAttr(let attrs, let path, let position):
            return .hasAttr(try bind(attrs), try bind(path), position)
        case .attrs(let attrs):
            if attrs.recursive {
                let inner = NixScope(parent: self, names: attrs.names)
                try inner.bindDefinitions(of: attrs, outer: self)
            } else {
                try bindDefinitions(of: attrs, outer: self)
            }
            return expression
        case .list(let elements):
            return .list(try elements.map { try bind($0) })
        case .lambda(let lambda):
            let names = (lambda.argument.map { [$0] } ?? []) + (lambda.formals ?? []).map(\.name)
            let inner = NixScope(parent: self, names: names)
            let formals = try lambda.formals?.map { formal in
                var bound = formal
                bound.defaultValue = try formal.defaultValue.map { try inner.bind($0) }
                return bound
            }
            lambda.bind(formals: formals, body: try inner.bind(lambda.body))
            return expression
        case .call(let function, let arguments, let position):
            return .call(try bind(function), try arguments.map { try bind($0) }, position)
        case .let(let attrs, let body):
            let inner = NixScope(parent: self, names: attrs.names)
            try inner.bindDefinitions(of: attrs, outer: self)
            return .let(attrs, try inner.bind(body))
        case .with(let with):
            var enclosing = 0
            var level = 1
            var scope: NixScope? = self
            while let current = scope {
                if current.isWith {
                    enclosing = level
                    break
                }
                scope = current.parent
                level += 1
            }
            let inner = NixScope(parent: self, names: [], isWith: true)
            with.bind(attrs: try bind(with.attrs), body: try inner.bind(with.body), enclosingWith: enclosing)
            return expression
        case .if(let condition, let then, let otherwise, let position):
            return .if(try bind(condition), then: try bind(then), else: try bind(otherwise), position)
        case .assert(let condition, let body, let position):
            return .assert(try bind(condition), try bind(body), position)
        case .not(let operand, let position):
            return .not(try bind(operand), position)
        case .binary(let op, let left, let right, let position):
            return .binary(op, try bind(left), try bind(right), position)
        case .concatStrings(let parts, let forceString, let position):
            return .concatStrings(try parts.map { ($0.0, try bind($0.1)) }, forceString: forceString, position)
        }
    }

    private func bind(_ path: [NixAttrName]) throws -> [NixAttrName] {
        try path.map { name in
            if case .dynamic(let expression) = name { return .dynamic(try bind(expression)) }
            return name
        }
    }

    /// Inherited names come from `outer`; everything else, dynamic names included, from `self`.
    private func bindDefinitions(of attrs: NixAttrsExpr, outer: NixScope) throws {
        for (index, definition) in attrs.definitions.enumerated() {
            attrs.replace(at: index, with: try (definition.inherited ? outer : self).bind(definition.value))
        }
        for (index, dynamic) in attrs.dynamic.enumerated() {
            attrs.replaceDynamic(at: index, name: try bind(dynamic.name), value: try bind(dynamic.value))
        }
    }

    private func variable(_ name: String, _ position: NixPosition) throws -> NixExpr {
        var level = 0
        var withLevel: Int?
        var scope: NixScope? = self
        while let current = scope {
            if current.isWith {
                if withLevel == nil { withLevel = level }
            } else if let index = current.slots[name] {
                return .local(level: level, index: index, name: name, position)
            }
            scope = current.parent
            level += 1
        }
        guard let withLevel else {
            throw NixSyntaxError(position: position, message: "undefined variable '\(name)'")
        }
        return .withVariable(name, level: withLevel, position)
    }
}
