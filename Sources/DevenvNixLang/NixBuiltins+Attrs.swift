/// Attribute sets. `attrNames` and `attrValues` are in byte order of the names, as Nix's.
extension NixEvaluator {
    static var attrsPrimOps: [NixPrimOp] {
        [
            NixPrimOp("attrNames", arity: 1) { evaluator, arguments, position in
                .list(NixList(try evaluator.attrs(arguments[0], at: position).sortedNames.map { .string($0) }))
            },
            NixPrimOp("attrValues", arity: 1) { evaluator, arguments, position in
                let attrs = try evaluator.attrs(arguments[0], at: position)
                return .list(NixList(attrs.sortedNames.map { attrs[$0]! }))
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
                guard let found = try evaluator.attrs(arguments[1], at: position).entries[name]?.position else {
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
                var entries = attrs.entries
                for name in try evaluator.list(arguments[1], at: position).elements {
                    entries[try evaluator.plainString(name, at: position)] = nil
                }
                return .attrs(NixAttrs(entries))
            },
            NixPrimOp("listToAttrs", arity: 1) { evaluator, arguments, position in
                let elements = try evaluator.list(arguments[0], at: position).elements
                var entries = [String: NixAttrs.Attr](minimumCapacity: elements.count)
                for element in elements {
                    let pair = try evaluator.attrs(element, at: position)
                    guard let name = pair.entries["name"] else {
                        throw NixEvalError("attribute 'name' missing", at: position)
                    }
                    guard let value = pair.entries["value"] else {
                        throw NixEvalError("attribute 'value' missing", at: position)
                    }
                    let key = try evaluator.plainString(name.value, at: position)
                    entries[key] = NixAttrs.Attr(value: value.value, position: value.position)
                }
                // The first of a name wins: put back the first of each repeated one.
                if entries.count < elements.count {
                    for element in elements.reversed() {
                        let pair = try evaluator.attrs(element, at: position)
                        let key = try evaluator.plainString(pair.entries["name"]!.value, at: position)
                        let value = pair.entries["value"]!
                        entries[key] = NixAttrs.Attr(value: value.value, position: value.position)
                    }
                }
                return .attrs(NixAttrs(entries))
            },
            NixPrimOp("intersectAttrs", arity: 2) { evaluator, arguments, position in
                let first = try evaluator.attrs(arguments[0], at: position)
                let second = try evaluator.attrs(arguments[1], at: position)
                return .attrs(NixAttrs(second.entries.filter { first.entries[$0.key] != nil }))
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
                case .lambda(let function, _):
                    let attrs = NixAttrs()
                    for formal in function.lambda.formals ?? [] {
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
                let result = NixAttrs(minimumCapacity: attrs.count)
                for (name, entry) in attrs.entries {
                    let value = NixValue.thunk(
                        NixThunk(in: evaluator.arena) { [unowned evaluator] in
                            try evaluator.call(function, .string(name), entry.value, at: position)
                        })
                    result.set(name, value, at: entry.position)
                }
                return .attrs(result)
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
