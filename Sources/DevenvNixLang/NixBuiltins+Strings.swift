/// Strings: conversion, slicing by bytes (as Nix's strings are bytes), regular expressions,
/// replacement, and Nix's version syntax.
extension NixEvaluator {
    static var stringPrimOps: [NixPrimOp] {
        [
            NixPrimOp("toString", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let text = try evaluator.coerceToString(
                    arguments[0], context: &context, at: position, coerceMore: true, copyToStore: false)
                return .string(NixString(text, context: context))
            },
            NixPrimOp("substring", arity: 3) { evaluator, arguments, position in
                let start = try evaluator.int(arguments[0], at: position)
                let length = try evaluator.int(arguments[1], at: position)
                var context = Set<String>()
                let text = try evaluator.coerceToString(arguments[2], context: &context, at: position)
                guard start >= 0 else { throw NixEvalError("negative start position in 'substring'", at: position) }
                let bytes = text.utf8
                guard start < bytes.count else { return .string(NixString("", context: context)) }
                // A negative length is a huge unsigned one in Nix: the rest of the string.
                let end = length < 0 ? bytes.count : min(bytes.count, start + min(length, bytes.count))
                let slice = Array(bytes)[start..<end]
                return .string(NixString(String(decoding: slice, as: UTF8.self), context: context))
            },
            NixPrimOp("stringLength", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                return .int(try evaluator.coerceToString(arguments[0], context: &context, at: position).utf8.count)
            },
            NixPrimOp("concatStringsSep", arity: 2) { evaluator, arguments, position in
                var context = Set<String>()
                let separator = try evaluator.coerceToString(arguments[0], context: &context, at: position)
                var result = ""
                for (index, element) in try evaluator.list(arguments[1], at: position).elements.enumerated() {
                    if index > 0 { result += separator }
                    result += try evaluator.coerceToString(element, context: &context, at: position)
                }
                return .string(NixString(result, context: context))
            },
            NixPrimOp("match", arity: 2) { evaluator, arguments, position in
                let regex = try evaluator.regex(try evaluator.plainString(arguments[0], at: position), at: position)
                let string = try evaluator.string(arguments[1], at: position)
                let bytes = Array(string.text.utf8)
                guard let match = regex.firstMatch(in: NixRegex.subject(bytes), from: 0), match[0] == 0..<bytes.count
                else {
                    return .null
                }
                return .list(NixList(match.dropFirst().map { NixEvaluator.group($0, of: bytes) }))
            },
            NixPrimOp("split", arity: 2) { evaluator, arguments, position in
                let regex = try evaluator.regex(try evaluator.plainString(arguments[0], at: position), at: position)
                let string = try evaluator.string(arguments[1], at: position)
                let bytes = Array(string.text.utf8)
                let subject = NixRegex.subject(bytes)
                var result: [NixValue] = []
                var searchFrom = 0
                var previousEnd = 0
                while searchFrom <= bytes.count, let match = regex.firstMatch(in: subject, from: searchFrom) {
                    let whole = match[0]!
                    result.append(.string(String(decoding: bytes[previousEnd..<whole.lowerBound], as: UTF8.self)))
                    result.append(.list(NixList(match.dropFirst().map { NixEvaluator.group($0, of: bytes) })))
                    previousEnd = whole.upperBound
                    searchFrom = whole.isEmpty ? whole.upperBound + 1 : whole.upperBound
                }
                if result.isEmpty { return .list(NixList([.string(string)])) }
                result.append(.string(String(decoding: bytes[previousEnd...], as: UTF8.self)))
                return .list(NixList(result))
            },
            NixPrimOp("replaceStrings", arity: 3) { evaluator, arguments, position in
                try evaluator.replaceStrings(arguments, at: position)
            },
            NixPrimOp("parseDrvName", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let full = Array(try evaluator.coerceToString(arguments[0], context: &context, at: position).utf8)
                var name = full
                var version: [UInt8] = []
                for index in full.indices
                where full[index] == UInt8(ascii: "-") && index + 1 < full.count && !isLetter(full[index + 1]) {
                    name = Array(full[..<index])
                    version = Array(full[(index + 1)...])
                    break
                }
                return .attrs(
                    NixAttrs(values: [
                        "name": .string(String(decoding: name, as: UTF8.self)),
                        "version": .string(String(decoding: version, as: UTF8.self)),
                    ]))
            },
            NixPrimOp("compareVersions", arity: 2) { evaluator, arguments, position in
                .int(
                    NixEvaluator.compareVersions(
                        try evaluator.plainString(arguments[0], at: position),
                        try evaluator.plainString(arguments[1], at: position)))
            },
            NixPrimOp("splitVersion", arity: 1) { evaluator, arguments, position in
                var context = Set<String>()
                let version = Array(try evaluator.coerceToString(arguments[0], context: &context, at: position).utf8)
                var components: [NixValue] = []
                var index = 0
                while index < version.count {
                    let component = NixEvaluator.nextComponent(version, &index)
                    if component.isEmpty { break }
                    components.append(.string(String(decoding: component, as: UTF8.self)))
                }
                return .list(NixList(components))
            },
        ]
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func group(_ range: Range<Int>?, of bytes: [UInt8]) -> NixValue {
        guard let range else { return .null }
        return .string(String(decoding: bytes[range], as: UTF8.self))
    }

    func regex(_ pattern: String, at position: NixPosition?) throws -> NixRegex {
        if let cached = regexes[pattern] { return cached }
        let regex = try NixRegex(pattern, at: position)
        regexes[pattern] = regex
        return regex
    }

    /// Nix's `replaceStrings`: at each position the first of `from` that matches is replaced (an
    /// empty one matches everywhere, between every two bytes); each `to` is forced only if used.
    private func replaceStrings(_ arguments: [NixValue], at position: NixPosition?) throws -> NixValue {
        let from = try list(arguments[0], at: position).elements
        let to = try list(arguments[1], at: position).elements
        guard from.count == to.count else {
            throw NixEvalError("'from' and 'to' arguments to 'replaceStrings' have different lengths", at: position)
        }
        let patterns = try from.map { Array(try string($0, at: position).text.utf8) }
        var replacements = [NixString?](repeating: nil, count: to.count)
        var context = Set<String>()
        let subject = Array(try coerceToString(arguments[2], context: &context, at: position).utf8)
        var result: [UInt8] = []
        var index = 0
        while index <= subject.count {
            var found = false
            for (which, pattern) in patterns.enumerated() {
                guard index + pattern.count <= subject.count,
                    subject[index..<index + pattern.count].elementsEqual(pattern)
                else { continue }
                found = true
                if replacements[which] == nil { replacements[which] = try string(to[which], at: position) }
                result += replacements[which]!.text.utf8
                context.formUnion(replacements[which]!.context)
                if pattern.isEmpty {
                    if index < subject.count { result.append(subject[index]) }
                    index += 1
                } else {
                    index += pattern.count
                }
                break
            }
            if !found {
                if index < subject.count { result.append(subject[index]) }
                index += 1
            }
        }
        return .string(NixString(String(decoding: result, as: UTF8.self), context: context))
    }

    /// A version's next component: a run of digits, or of anything but digits and separators.
    static func nextComponent(_ version: [UInt8], _ index: inout Int) -> ArraySlice<UInt8> {
        while index < version.count && (version[index] == UInt8(ascii: ".") || version[index] == UInt8(ascii: "-")) {
            index += 1
        }
        let start = index
        if index < version.count && isDigit(version[index]) {
            while index < version.count && isDigit(version[index]) { index += 1 }
        } else {
            while index < version.count && !isDigit(version[index]) && version[index] != UInt8(ascii: ".")
                && version[index] != UInt8(ascii: "-")
            {
                index += 1
            }
        }
        return version[start..<index]
    }

    static func compareVersions(_ first: String, _ second: String) -> Int {
        let a = Array(first.utf8)
        let b = Array(second.utf8)
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            let x = nextComponent(a, &i)
            let y = nextComponent(b, &j)
            if componentLess(x, y) { return -1 }
            if componentLess(y, x) { return 1 }
        }
        return 0
    }

    private static func componentLess(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        let pre = Array("pre".utf8)
        let x = Int32(String(decoding: a, as: UTF8.self))
        let y = Int32(String(decoding: b, as: UTF8.self))
        if let x, let y { return x < y }
        if a.isEmpty && y != nil { return true }
        if a.elementsEqual(pre) && !b.elementsEqual(pre) { return true }
        if b.elementsEqual(pre) { return false }
        if y != nil { return true }
        if x != nil { return false }
        return a.lexicographicallyPrecedes(b)
    }
}
