/// Lists. What `map`, `genList` and `concatMap`'s results hold is computed only when used, as in
/// Nix; `foldl'` forces its accumulator at each step and loops, so a long list costs no stack.
extension NixEvaluator {
    static var listPrimOps: [NixPrimOp] {
        [
            NixPrimOp("map", arity: 2) { evaluator, arguments, position in
                let function = arguments[0]
                return .list(
                    NixList(
                        try evaluator.list(arguments[1], at: position).elements.map { element in
                            evaluator.application(function, element, at: position)
                        }))
            },
            NixPrimOp("filter", arity: 2) { evaluator, arguments, position in
                let elements = try evaluator.list(arguments[1], at: position).elements
                let kept = try elements.filter {
                    try evaluator.bool(evaluator.call(arguments[0], $0, at: position), at: position)
                }
                return .list(NixList(kept))
            },
            NixPrimOp("elem", arity: 2) { evaluator, arguments, position in
                for element in try evaluator.list(arguments[1], at: position).elements
                where try evaluator.equal(arguments[0], element) {
                    return .true
                }
                return .false
            },
            NixPrimOp("elemAt", arity: 2) { evaluator, arguments, position in
                let elements = try evaluator.list(arguments[0], at: position).elements
                let index = try evaluator.int(arguments[1], at: position)
                guard elements.indices.contains(index) else {
                    throw NixEvalError("list index \(index) is out of bounds", at: position)
                }
                return try evaluator.force(elements[index])
            },
            NixPrimOp("head", arity: 1) { evaluator, arguments, position in
                guard let first = try evaluator.list(arguments[0], at: position).elements.first else {
                    throw NixEvalError("list index 0 is out of bounds", at: position)
                }
                return try evaluator.force(first)
            },
            NixPrimOp("tail", arity: 1) { evaluator, arguments, position in
                let elements = try evaluator.list(arguments[0], at: position).elements
                guard !elements.isEmpty else { throw NixEvalError("'tail' called on an empty list", at: position) }
                return .list(NixList(Array(elements.dropFirst())))
            },
            NixPrimOp("length", arity: 1) { evaluator, arguments, position in
                .int(try evaluator.list(arguments[0], at: position).count)
            },
            NixPrimOp("concatLists", arity: 1) { evaluator, arguments, position in
                var result: [NixValue] = []
                for element in try evaluator.list(arguments[0], at: position).elements {
                    result += try evaluator.list(element, at: position).elements
                }
                return .list(NixList(result))
            },
            NixPrimOp("foldl'", arity: 3) { evaluator, arguments, position in
                var accumulator = arguments[1]
                let function = try evaluator.force(arguments[0])
                let elements = try evaluator.list(arguments[2], at: position).elements
                // `a: b: …` taken apart once rather than at each element.
                if case .lambda(let closure) = function, let inner = closure.lambda.read({ $0.curried }) {
                    let environment = closure.environment
                    for element in elements {
                        accumulator = try evaluator.force(
                            try evaluator.call(inner, of: environment, accumulator, element, at: position))
                    }
                } else {
                    for element in elements {
                        accumulator = try evaluator.force(
                            try evaluator.call(function, accumulator, element, at: position))
                    }
                }
                return try evaluator.force(accumulator)
            },
            NixPrimOp("any", arity: 2) { evaluator, arguments, position in
                for element in try evaluator.list(arguments[1], at: position).elements
                where try evaluator.bool(evaluator.call(arguments[0], element, at: position), at: position) {
                    return .true
                }
                return .false
            },
            NixPrimOp("all", arity: 2) { evaluator, arguments, position in
                for element in try evaluator.list(arguments[1], at: position).elements
                where !(try evaluator.bool(evaluator.call(arguments[0], element, at: position), at: position)) {
                    return .false
                }
                return .true
            },
            NixPrimOp("genList", arity: 2) { evaluator, arguments, position in
                let count = try evaluator.int(arguments[1], at: position)
                guard count >= 0 else { throw NixEvalError("cannot create list of size \(count)", at: position) }
                let function = arguments[0]
                return .list(NixList((0..<count).map { evaluator.application(function, .int($0), at: position) }))
            },
            NixPrimOp("sort", arity: 2) { evaluator, arguments, position in
                var elements = try evaluator.list(arguments[1], at: position).elements
                let comparator = try evaluator.force(arguments[0])
                for index in elements.indices { elements[index] = try evaluator.force(elements[index]) }
                // `sort lessThan` compares directly, as Nix does.
                if case .primop(let primop) = comparator, primop.name == "lessThan" {
                    try elements.sort { try evaluator.lessThan($0, $1, at: position) }
                } else {
                    try elements.sort { a, b in
                        try evaluator.bool(evaluator.call(comparator, a, b, at: position), at: position)
                    }
                }
                return .list(NixList(elements))
            },
            NixPrimOp("partition", arity: 2) { evaluator, arguments, position in
                var right: [NixValue] = []
                var wrong: [NixValue] = []
                for element in try evaluator.list(arguments[1], at: position).elements {
                    if try evaluator.bool(evaluator.call(arguments[0], element, at: position), at: position) {
                        right.append(element)
                    } else {
                        wrong.append(element)
                    }
                }
                return .attrs(NixAttrs(values: ["right": .list(NixList(right)), "wrong": .list(NixList(wrong))]))
            },
            NixPrimOp("groupBy", arity: 2) { evaluator, arguments, position in
                var groups: [String: [NixValue]] = [:]
                for element in try evaluator.list(arguments[1], at: position).elements {
                    let key = try evaluator.plainString(
                        evaluator.call(arguments[0], element, at: position), at: position)
                    groups[key, default: []].append(element)
                }
                return .attrs(NixAttrs(values: groups.mapValues { .list(NixList($0)) }))
            },
            NixPrimOp("concatMap", arity: 2) { evaluator, arguments, position in
                var result: [NixValue] = []
                for element in try evaluator.list(arguments[1], at: position).elements {
                    result += try evaluator.list(evaluator.call(arguments[0], element, at: position), at: position)
                        .elements
                }
                return .list(NixList(result))
            },
            NixPrimOp("genericClosure", arity: 1) { evaluator, arguments, position in
                try evaluator.genericClosure(try evaluator.attrs(arguments[0], at: position), at: position)
            },
        ]
    }

    /// `f x`, computed when first used.
    func application(_ function: NixValue, _ argument: NixValue, at position: NixPosition?) -> NixValue {
        .thunk(NixThunk(applying: function, to: argument, at: position, in: arena))
    }

    /// Every item reachable from `startSet` through `operator`, each `key` once, in the order found.
    private func genericClosure(_ attrs: NixAttrs, at position: NixPosition?) throws -> NixValue {
        guard let start = attrs["startSet"], let step = attrs["operator"] else {
            throw NixEvalError(
                "attribute '\(attrs["startSet"] == nil ? "startSet" : "operator")' missing", at: position)
        }
        var pending = try list(start, at: position).elements
        var keys: [NixValue] = []
        var result: [NixValue] = []
        var next = 0
        while next < pending.count {
            let item = pending[next]
            next += 1
            guard let key = try self.attrs(item, at: position)["key"] else {
                throw NixEvalError("attribute 'key' required", at: position)
            }
            let forcedKey = try force(key)
            // Ordered by `<`, as Nix's set of keys: a binary search finds the place.
            var low = 0
            var high = keys.count
            while low < high {
                let middle = (low + high) / 2
                if try lessThan(keys[middle], forcedKey, at: position) { low = middle + 1 } else { high = middle }
            }
            if low < keys.count, !(try lessThan(forcedKey, keys[low], at: position)) { continue }
            keys.insert(forcedKey, at: low)
            result.append(item)
            pending += try list(call(step, item, at: position), at: position).elements
        }
        return .list(NixList(result))
    }
}
