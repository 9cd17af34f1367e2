/// Attribute sets. `attrNames` and `attrValues` are in byte order of the names, as Nix's.
extension NixEvaluator {
    static var attrsPrimOps: [NixPrimOp] {
        [
            NixPrimOp("attrNames", arity: 1) { evaluator, arguments, position in
                .list(NixList(try evaluator.attrs(arguments[0], at: position).sortedNames.map { .string($0) }))
            },
            NixPrimOp("attrValues", arity: 1) { evaluator, arguments, position in
                let attrs = try evaluator.attrs(arguments[0], at: position)
                return .list(NixList(attrs.sortedEntries.map(\.attr.value)))
            },
            NixPrimOp("getAttr", arity: 2) { evaluator, arguments, position in
                let name = try evaluator.plainString(arguments[0], at: position)
                let attrs = try evaluator.attrs(arguments[1], at: position)
                guard let value = attrs[name] else {
                    throw NixEvalError(
                        "attribute '\(name)' missing" + NixEvaluator.suggestion(name, among: attrs.sortedNames),
                        at: position)
                }
                return try evaluator.force(value)
            },
            NixPrimOp("unsafeGetAttrPos", arity: 2) { evaluator, arguments, position in
                let name = try evaluator.plainString(arguments[0], at: position)
                guard let found = try evaluator.attrs(arguments[1], at: position).entry(name)?.position else {
                    return .null
                }
                return .attrs(NixEvaluator.positionAttrs(found))
            },
            NixPrimOp("hasAttr", arity: 2) { evaluator, arguments, position in
                let name = try evaluator.plainString(arguments[0], at: position)
                return .bool(try evaluator.attrs(arguments[1], at: position)[name] != nil)
            },
            NixPrimOp("removeAttrs", arity: 2) { evaluator, arguments, position in
                let attrs = try evaluator.attrs(arguments[0], at: position)
                var removed = Set<String>()
                for name in try evaluator.list(arguments[1], at: position).elements {
                    removed.insert(try evaluator.plainString(name, at: position))
                }
                return .attrs(NixAttrs(sorted: attrs.sortedEntries.filter { !removed.contains($0.name) }))
            },
            NixPrimOp("listToAttrs", arity: 1) { evaluator, arguments, position in
                let elements = try evaluator.list(arguments[0], at: position).elements
                var entries: [NixAttrs.Entry] = []
                entries.reserveCapacity(elements.count)
                for element in elements {
                    let pair = try evaluator.attrs(element, at: position)
                    guard let name = pair["name"] else {
                        throw NixEvalError("attribute 'name' missing", at: position)
                    }
                    guard let value = pair.entry("value") else {
                        throw NixEvalError("attribute 'value' missing", at: position)
                    }
                    let key = try evaluator.plainString(name, at: position)
                    entries.append(NixAttrs.Entry(name: key, attr: value))
                }
                // Reversed: the set keeps the last of a name, Nix the first.
                return .attrs(NixAttrs(unsorted: entries.reversed()))
            },
            NixPrimOp("intersectAttrs", arity: 2) { evaluator, arguments, position in
                let first = try evaluator.attrs(arguments[0], at: position)
                let second = try evaluator.attrs(arguments[1], at: position)
                return .attrs(NixAttrs(sorted: second.sortedEntries.filter { first[$0.name] != nil }))
            },
            NixPrimOp("catAttrs", arity: 2) { evaluator, arguments, position in
                let name = try evaluator.plainString(arguments[0], at: position)
                let found = try evaluator.list(arguments[1], at: position).elements.compactMap {
                    try evaluator.attrs($0, at: position)[name]
                }
                return .list(NixList(found))
            },
            NixPrimOp("functionArgs", arity: 1) { evaluator, arguments, position in
                let function = try evaluator.force(arguments[0])
                switch function {
                case .lambda(let closure):
                    let attrs = NixAttrs()
                    for formal in closure.lambda.formals ?? [] {
                        attrs.set(formal.name, .bool(formal.defaultValue != nil), at: formal.position)
                    }
                    return .attrs(attrs)
                case .primop, .partial:
                    return .attrs(NixAttrs())
                default:
                    throw NixEvalError("'functionArgs' requires a function", at: position)
                }
            },
            NixPrimOp("mapAttrs", arity: 2) { evaluator, arguments, position in
                let attrs = try evaluator.attrs(arguments[1], at: position)
                let function = arguments[0]
                let entries = attrs.sortedEntries.map { entry in
                    let name = entry.name
                    let value = NixValue.thunk(
                        NixThunk(in: evaluator.arena) { [unowned evaluator] in
                            try evaluator.call(function, .string(name), entry.attr.value, at: position)
                        })
                    return NixAttrs.Entry(name: name, attr: NixAttrs.Attr(value: value, position: entry.attr.position))
                }
                return .attrs(NixAttrs(sorted: entries))
            },
            NixPrimOp("zipAttrsWith", arity: 2) { evaluator, arguments, position in
                var values: [String: [NixValue]] = [:]
                for element in try evaluator.list(arguments[1], at: position).elements {
                    let attrs = try evaluator.attrs(element, at: position)
                    for name in attrs.sortedNames { values[name, default: []].append(attrs[name]!) }
                }
                let function = arguments[0]
                return .attrs(
                    NixAttrs(
                        values: values.reduce(into: [:]) { result, pair in
                            let (name, list) = pair
                            result[name] = .thunk(
                                NixThunk(in: evaluator.arena) { [unowned evaluator] in
                                    try evaluator.call(function, .string(name), .list(NixList(list)), at: position)
                                })
                        }))
            },
        ]
    }
}
