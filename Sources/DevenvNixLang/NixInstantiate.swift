import Foundation

/// `nix-instantiate` as Nix 2.8's language tests call it: `--parse`, `--eval [--strict]`,
/// `--xml [--no-location]`, `--json`, `-A PATH`, `--arg NAME EXPR`, `--argstr NAME STRING`,
/// `-I [PREFIX=]DIR`, `-E` (arguments are expressions) and `-` (read standard input). Without
/// `--eval` it prints the `.drv` path of each derivation, as Nix does (computed, not written).
public struct NixInstantiate {
    public enum Output { case plain, xml, json }
    public enum AutoArgument {
        case expression(String)
        case string(String)
    }

    public var parseOnly = false
    public var evalOnly = false
    public var strict = false
    public var output = Output.plain
    /// `--xml` says where attributes and functions were written, unless `--no-location`.
    public var location = true
    public var attrPaths: [String] = []
    public var autoArguments: [(name: String, value: AutoArgument)] = []
    public var includes: [String] = []
    public var fromArguments = false
    public var readStandardInput = false
    public var files: [String] = []

    public struct UsageError: Error, CustomStringConvertible {
        public let description: String
    }

    public init() {}

    /// Reads Nix's command line (flags in any order, as Nix's `LegacyArgs` takes them).
    public init(arguments: [String]) throws {
        var remaining = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = remaining.popFirst() else {
                throw UsageError(description: "flag '\(flag)' requires an argument")
            }
            return next
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "-": readStandardInput = true
            case "-E", "--expr": fromArguments = true
            case "--eval", "--eval-only": evalOnly = true
            case "--parse", "--parse-only":
                parseOnly = true
                evalOnly = true
            case "--strict": strict = true
            case "--xml": output = .xml
            case "--json": output = .json
            case "-A", "--attr": attrPaths.append(try value(argument))
            case "--arg": autoArguments.append((try value(argument), .expression(try value(argument))))
            case "--argstr": autoArguments.append((try value(argument), .string(try value(argument))))
            case "-I", "--include": includes.append(try value(argument))
            case "--no-location": location = false
            case "--read-write-mode", "--readonly-mode", "--show-trace", "--dry-run", "--indirect":
                break
            default:
                if argument.hasPrefix("-I"), argument.count > 2 {
                    includes.append(String(argument.dropFirst(2)))
                } else if argument.hasPrefix("-") {
                    throw UsageError(description: "unrecognised flag '\(argument)'")
                } else {
                    files.append(argument)
                }
            }
        }
    }

    /// The evaluator's options in `environment`: the search path of `-I` entries, then
    /// `NIX_PATH`'s (each `PREFIX=DIR` or `DIR`), and store paths for `NIX_STORE_DIR`.
    public func evaluatorOptions(environment: [String: String]) -> NixEvaluator.Options {
        var options = NixEvaluator.Options()
        let entries = includes + (environment["NIX_PATH"] ?? "").split(separator: ":").map(String.init)
        options.searchPath = entries.filter { !$0.isEmpty }.map { entry in
            guard let equals = entry.firstIndex(of: "=") else { return ("", entry) }
            return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
        }
        if let storeDirectory = environment["NIX_STORE_DIR"] { options.storeDirectory = storeDirectory }
        return options
    }

    /// Runs it; what it prints goes to `write`, a line at a time.
    public func run(
        evaluator: NixEvaluator, standardInput: () throws -> [UInt8], write: (String) -> Void
    ) throws {
        let current = FileManager.default.currentDirectoryPath
        var sources = files
        if readStandardInput {
            sources = ["-"]
        } else if files.isEmpty && !fromArguments {
            sources = ["./default.nix"]
        }
        for source in sources {
            let parsed: NixExpr
            if readStandardInput {
                parsed = try evaluator.parse(standardInput(), file: "(stdin)", basePath: current)
            } else if fromArguments {
                parsed = try evaluator.parse(Array(source.utf8), file: "(string)", basePath: current)
            } else {
                parsed = try evaluator.parse(file: source)
            }
            if parseOnly {
                write("\(parsed)\n")
            } else {
                try evaluator.arena.enter { try process(parsed, evaluator: evaluator, write: write) }
            }
        }
    }

    private func process(_ expression: NixExpr, evaluator: NixEvaluator, write: (String) -> Void) throws {
        let root = try evaluator.evaluate(expression)
        let arguments = try autoArgumentValues(evaluator)
        for path in attrPaths.isEmpty ? [""] : attrPaths {
            var value = try evaluator.select(path: path, in: root, autoArguments: arguments)
            if evalOnly {
                if let arguments { value = try evaluator.autoCall(value, arguments) }
                switch output {
                case .xml:
                    write(try evaluator.xml(value, locations: location))
                case .json:
                    var context = Set<String>()
                    write(try evaluator.json(value, context: &context, at: nil) + "\n")
                case .plain:
                    if strict { try evaluator.forceDeep(value) }
                    write(NixPrinter.print(value) + "\n")
                }
            } else {
                for derivation in try evaluator.derivations(in: value, autoArguments: arguments) {
                    write(derivation + "\n")
                }
            }
        }
    }

    private func autoArgumentValues(_ evaluator: NixEvaluator) throws -> NixAttrs? {
        guard !autoArguments.isEmpty else { return nil }
        let current = FileManager.default.currentDirectoryPath
        let attrs = NixAttrs()
        for (name, argument) in autoArguments {
            switch argument {
            case .string(let text): attrs.set(name, .string(text))
            case .expression(let source):
                let expression = try evaluator.parse(Array(source.utf8), file: "(string)", basePath: current)
                attrs.set(name, .thunk(NixThunk(expression, evaluator.baseEnvironment, in: evaluator.arena)))
            }
        }
        return attrs
    }
}

extension NixEvaluator {
    /// Parses a file, or a directory's `default.nix`, relative to the current directory.
    public func parse(file: String) throws -> NixExpr {
        var path = NixParser.absolute(file, from: FileManager.default.currentDirectoryPath)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            path += "/default.nix"
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NixEvalError("getting status of '\(path)': No such file or directory")
        }
        return try parse(Array(data), file: path, basePath: (path as NSString).deletingLastPathComponent)
    }

    /// Nix's `findAlongAttrPath`: `a.b.0` selects attributes and list elements, calling
    /// functions on the way with the automatic arguments.
    public func select(path: String, in root: NixValue, autoArguments: NixAttrs?) throws -> NixValue {
        try arena.enter { try select(path, in: root, autoArguments: autoArguments) }
    }

    private func select(_ path: String, in root: NixValue, autoArguments: NixAttrs?) throws -> NixValue {
        var value = try force(root)
        for component in path.split(separator: ".", omittingEmptySubsequences: false) where !path.isEmpty {
            if let arguments = autoArguments { value = try autoCall(value, arguments) }
            if let index = Int(component) {
                let elements = try list(value, at: nil).elements
                guard elements.indices.contains(index) else {
                    throw NixEvalError("list index \(index) in selection path '\(path)' is out of bounds")
                }
                value = try force(elements[index])
            } else {
                let attrs = try self.attrs(value, at: nil)
                guard let found = attrs[String(component)] else {
                    throw NixEvalError("attribute '\(component)' in selection path '\(path)' not found")
                }
                value = try force(found)
            }
        }
        return value
    }

    /// Nix's `autoCallFunction`: a function of a set is called with the arguments it names (all
    /// of them if it takes `...`); a missing one without a default is an error.
    public func autoCall(_ value: NixValue, _ arguments: NixAttrs) throws -> NixValue {
        try arena.enter { try autoCalled(value, arguments) }
    }

    private func autoCalled(_ value: NixValue, _ arguments: NixAttrs) throws -> NixValue {
        let function = try force(value)
        if case .attrs(let attrs) = function, let functor = attrs["__functor"] {
            return try autoCalled(try force(try call(functor, function, at: nil)), arguments)
        }
        guard case .lambda(let closure) = function, case let lambda = closure.lambda, let formals = lambda.formals
        else { return function }
        let given = NixAttrs()
        if lambda.ellipsis {
            for entry in arguments.sortedEntries { given.set(entry.name, entry.attr.value) }
        } else {
            for formal in formals {
                if let argument = arguments[formal.name] {
                    given.set(formal.name, argument)
                } else if formal.defaultValue == nil {
                    throw NixEvalError(
                        "cannot evaluate a function that has an argument without a value ('\(formal.name)')",
                        at: formal.position)
                }
            }
        }
        return try call(function, .attrs(given), at: nil)
    }

    /// The `.drv` paths `nix-instantiate` prints: of the value if it is a derivation, else of
    /// each derivation among its attributes (or elements).
    func derivations(in value: NixValue, autoArguments: NixAttrs?) throws -> [String] {
        var value = try force(value)
        if let autoArguments { value = try autoCall(value, autoArguments) }
        func drvPath(_ attrs: NixAttrs) throws -> String? {
            guard try isDerivation(attrs), let path = attrs["drvPath"] else { return nil }
            return try string(path, at: nil).text
        }
        switch value {
        case .attrs(let attrs):
            if let path = try drvPath(attrs) { return [path] }
            return try attrs.sortedNames.compactMap { name in
                guard case .attrs(let inner) = try force(attrs[name]!) else { return nil }
                return try drvPath(inner)
            }
        case .list(let list):
            return try list.elements.compactMap { element in
                guard case .attrs(let inner) = try force(element) else { return nil }
                return try drvPath(inner)
            }
        default:
            throw NixEvalError("expression does not evaluate to a derivation (or a set or list of those)")
        }
    }
}
