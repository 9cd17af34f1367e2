import DevenvStore

/// `derivationStrict` (Nix 2.8's `prim_derivationStrict`): the attributes become the builder's
/// environment, the context of every string its inputs, and the result is the `.drv` path and
/// each output's path, computed exactly as Nix names them; nothing is written.
extension NixEvaluator {
    func derivationStrict(_ argument: NixValue, at position: NixPosition?) throws -> NixValue {
        let attrs = try self.attrs(argument, at: position)
        guard let nameEntry = attrs.entry("name") else {
            throw NixEvalError("required attribute 'name' missing", at: position)
        }
        let namePosition = nameEntry.position ?? position
        let name: String
        do {
            name = try plainString(nameEntry.value, at: position)
        } catch let error as NixEvalError {
            throw error.adding("while evaluating the derivation attribute 'name'" + NixEvaluator.at(namePosition))
        }
        var structured: [(String, String)]?
        if let value = attrs["__structuredAttrs"], try bool(value, at: position) { structured = [] }
        var ignoreNulls = false
        if let value = attrs["__ignoreNulls"] { ignoreNulls = try bool(value, at: position) }

        var derivation = NixDerivation(name: name)
        var context = Set<String>()
        var outputHash: String?
        var outputHashAlgo = ""
        var recursive: Bool?
        var outputs = ["out"]

        func setOutputs(_ names: [String]) throws {
            var seen = Set<String>()
            for output in names {
                guard seen.insert(output).inserted else {
                    throw NixEvalError("duplicate derivation output '\(output)'", at: namePosition)
                }
                if output == "drv" { throw NixEvalError("invalid derivation output name 'drv'", at: namePosition) }
            }
            guard !names.isEmpty else {
                throw NixEvalError("derivation cannot have an empty set of outputs", at: namePosition)
            }
            outputs = names
        }
        func setHashMode(_ mode: String) throws {
            switch mode {
            case "recursive": recursive = true
            case "flat": recursive = false
            default: throw NixEvalError("invalid value '\(mode)' for 'outputHashMode' attribute", at: namePosition)
            }
        }

        for key in attrs.sortedNames where key != "__ignoreNulls" {
            let entry = attrs.entry(key)!
            do {
                if ignoreNulls, case .null = try force(entry.value) { continue }
                switch key {
                case "__contentAddressed", "__impure":
                    if try bool(entry.value, at: position) {
                        let feature = key == "__impure" ? "impure-derivations" : "ca-derivations"
                        throw NixEvalError(
                            "experimental Nix feature '\(feature)' is disabled; use '--extra-experimental-features \(feature)' to override",
                            at: position)
                    }
                case "args":
                    for element in try list(entry.value, at: position).elements {
                        derivation.args.append(
                            try coerceToString(element, context: &context, at: namePosition, coerceMore: true))
                    }
                default:
                    if structured != nil {
                        if key == "__structuredAttrs" { continue }
                        structured!.append((key, try json(entry.value, context: &context, at: position)))
                        switch key {
                        case "builder": derivation.builder = try string(entry.value, at: namePosition).text
                        case "system": derivation.platform = try plainString(entry.value, at: namePosition)
                        case "outputHash": outputHash = try plainString(entry.value, at: namePosition)
                        case "outputHashAlgo": outputHashAlgo = try plainString(entry.value, at: namePosition)
                        case "outputHashMode": try setHashMode(try plainString(entry.value, at: namePosition))
                        case "outputs":
                            try setOutputs(
                                try list(entry.value, at: namePosition).elements.map {
                                    try plainString($0, at: namePosition)
                                })
                        default: break
                        }
                    } else {
                        let value = try coerceToString(
                            entry.value, context: &context, at: entry.position ?? position, coerceMore: true)
                        derivation.env[key] = value
                        switch key {
                        case "builder": derivation.builder = value
                        case "system": derivation.platform = value
                        case "outputHash": outputHash = value
                        case "outputHashAlgo": outputHashAlgo = value
                        case "outputHashMode": try setHashMode(value)
                        case "outputs":
                            try setOutputs(
                                value.split(whereSeparator: { " \t\n\r".contains($0) }).map(String.init))
                        default: break
                        }
                    }
                }
            } catch let error as NixEvalError {
                throw error.adding(
                    "while evaluating the attribute '\(key)' of the derivation '\(name)'"
                        + NixEvaluator.at(namePosition))
            }
        }
        if let structured {
            var json: [UInt8] = [UInt8(ascii: "{")]
            for (index, (key, value)) in structured.enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                NixEvaluator.writeJSONString(key, to: &json)
                json += [UInt8(ascii: ":")] + Array(value.utf8)
            }
            derivation.env["__json"] = String(decoding: json + [UInt8(ascii: "}")], as: UTF8.self)
        }

        try addInputs(from: context, to: &derivation, at: position)
        guard !derivation.builder.isEmpty else {
            throw NixEvalError("required attribute 'builder' missing", at: namePosition)
        }
        guard !derivation.platform.isEmpty else {
            throw NixEvalError("required attribute 'system' missing", at: namePosition)
        }
        guard !name.hasSuffix(".drv") else {
            throw NixEvalError("derivation names are not allowed to end in '.drv'", at: namePosition)
        }

        do {
            if let outputHash {
                guard outputs == ["out"] else {
                    throw NixEvalError(
                        "multiple outputs are not supported in fixed-output derivations", at: namePosition)
                }
                let hash = try parseHash(
                    outputHash, algorithm: HashAlgorithm(rawValue: outputHashAlgo), at: namePosition)
                let recursive = recursive ?? false
                let path = store.fullPath(of: try store.path(for: .fixed(recursive: recursive, hash: hash), name: name))
                derivation.env["out"] = path
                derivation.outputs["out"] = .fixed(path: path, recursive: recursive, hash: hash)
            } else {
                // The outputs' paths depend on the derivation with those paths left empty.
                for output in outputs {
                    derivation.env[output] = ""
                    derivation.outputs[output] = .inputAddressed(path: nil)
                }
                let hash = try derivation.hashModulo(maskOutputs: true, in: store)
                for output in outputs {
                    let path = store.fullPath(
                        of: try store.outputPath(derivationHash: hash, output: output, derivationName: name))
                    derivation.env[output] = path
                    derivation.outputs[output] = .inputAddressed(path: path)
                }
            }
            let drvPath = try derivation.path(in: store)
            NixDerivationRegistry.shared.register(derivation, at: drvPath)

            let result = NixAttrs()
            result.set("drvPath", .string(NixString(drvPath, context: ["=" + drvPath])))
            for (output, kind) in derivation.outputs {
                let path: String
                switch kind {
                case .inputAddressed(let outputPath): path = outputPath!
                case .fixed(let outputPath, _, _): path = outputPath
                }
                result.set(output, .string(NixString(path, context: ["!\(output)!\(drvPath)"])))
            }
            return .attrs(result)
        } catch let error as NixEvalError {
            throw error
        } catch {
            throw NixEvalError("\(error)", at: namePosition)
        }
    }

    /// The context's store paths as inputs: `=drv` brings the derivation's whole closure (and
    /// every output of each derivation in it), `!out!drv` that output, a plain path itself.
    private func addInputs(
        from context: Set<String>, to derivation: inout NixDerivation, at position: NixPosition?
    ) throws {
        for element in context {
            if element.hasPrefix("=") {
                for path in NixDerivationRegistry.shared.closure(of: String(element.dropFirst())) {
                    derivation.inputSrcs.insert(path)
                    guard path.hasSuffix(".drv") else { continue }
                    guard let input = NixDerivationRegistry.shared[path] else {
                        throw NixEvalError(
                            "cannot read derivation '\(path)': it was not instantiated by this evaluator", at: position)
                    }
                    derivation.inputDrvs[path] = Set(input.outputs.keys)
                }
            } else if element.hasPrefix("!"), let (output, path) = NixEvaluator.decodeOutputContext(element) {
                derivation.inputDrvs[path, default: []].insert(output)
            } else {
                derivation.inputSrcs.insert(element)
            }
        }
    }

    private static func at(_ position: NixPosition?) -> String { position.map { " at \($0)" } ?? "" }
}
