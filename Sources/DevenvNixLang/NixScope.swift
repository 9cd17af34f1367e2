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
        case .variable(let variable):
            return try self.variable(variable.name, variable.position)
        case .select(let select):
            return .select(
                try bind(select.target), try bind(select.path), orDefault: try select.orDefault.map { try bind($0) },
                select.position)
        case .hasAttr(let hasAttr):
            return .hasAttr(try bind(hasAttr.target), try bind(hasAttr.path), hasAttr.position)
        case .attrs(let attrs):
            if attrs.recursive {
                let inner = NixScope(parent: self, names: attrs.names)
                try inner.bindDefinitions(of: attrs.node, outer: self)
            } else {
                try bindDefinitions(of: attrs.node, outer: self)
            }
            return expression
        case .list(let list):
            return .list(try list.elements.map { try bind($0) })
        case .lambda(let lambda):
            let names = (lambda.argument.map { [$0] } ?? []) + (lambda.formals ?? []).map(\.name)
            let inner = NixScope(parent: self, names: names)
            let formals = try lambda.formals?.map { formal in
                var bound = formal
                bound.defaultValue = try formal.defaultValue.map { try inner.bind($0) }
                return bound
            }
            return .lambda(lambda.node.bound(formals: formals, body: try inner.bind(lambda.body)))
        case .call(let call):
            return .call(try bind(call.function), try call.arguments.map { try bind($0) }, call.position)
        case .let(let node):
            let inner = NixScope(parent: self, names: node.bindings.names)
            try inner.bindDefinitions(of: node.bindings, outer: self)
            return .let(node.bindings, try inner.bind(node.body))
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
            return .with(
                NixWith(
                    attrs: try bind(with.attrs), body: try inner.bind(with.body), position: with.position,
                    enclosingWith: enclosing))
        case .if(let node):
            return .if(
                try bind(node.condition), then: try bind(node.then), else: try bind(node.otherwise), node.position)
        case .assert(let node):
            return .assert(try bind(node.condition), try bind(node.body), node.position)
        case .not(let node):
            return .not(try bind(node.operand), node.position)
        case .binary(let node):
            return .binary(node.op, try bind(node.left), try bind(node.right), node.position)
        case .concatStrings(let node):
            return .concatStrings(
                try node.parts.map { ($0.0, try bind($0.1)) }, forceString: node.forceString, node.position)
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
                return .local(NixLocal(name: name, position: position, level: level, index: index))
            }
            scope = current.parent
            level += 1
        }
        guard let withLevel else {
            throw NixSyntaxError(position: position, message: "undefined variable '\(name)'")
        }
        return .withVariable(NixWithVariable(name: name, position: position, level: withLevel))
    }
}
