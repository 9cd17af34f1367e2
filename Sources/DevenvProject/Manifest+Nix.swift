import DevenvBasics
import DevenvNixLang
import DevenvPackages
import Foundation

/// A project described by a `flake.nix`, `shell.nix` or `default.nix` instead of a devenv.toml:
/// the file is evaluated with devenv's package set as `<nixpkgs>` (and as a flake's `nixpkgs`
/// input), and what `mkShell` was given becomes a manifest shell. A package's store path is not
/// known before the lock, so where Nix code interpolates one (`"${pkgs.go}/bin/go"`) the text
/// holds `${packages.go}`, which entering the shell replaces with the locked path
/// (`Manifest+PackageReferences.swift`).
extension Manifest {
    /// The Nix files that make a directory a project, in the order one is chosen.
    public static let nixFiles = ["flake.nix", "shell.nix", "default.nix"]

    /// The manifest the Nix file at `path` describes, for `system`, with `nixpkgs` as the package
    /// set `<nixpkgs>` means (`builtin`, or `path:DIR` relative to the file's directory).
    /// Results are kept in `cacheDirectory` (see `NixEvaluationCache`), when given.
    public init(
        nixFile path: String, bytes: Data, displayName: String, nixpkgs: InputSpec = .builtin,
        system: String = CurrentSystem.name, cacheDirectory: String? = nil
    ) throws {
        let cache = cacheDirectory.map(NixEvaluationCache.init)
        let key = NixEvaluationCache.key(path: path, bytes: bytes, system: system, nixpkgs: nixpkgs)
        if let cached = cache?.manifest(key: key, displayName: displayName, system: system) {
            self = cached
            inputs[PackageRequest.defaultInput] = nixpkgs
            return
        }
        let packages: PackageSet
        var setDirectory: String?
        switch nixpkgs {
        case .builtin: packages = .builtin
        case .path(let directory):
            let base = (path as NSString).deletingLastPathComponent
            setDirectory = directory.hasPrefix("/") ? directory : base + "/" + directory
            packages = try PackageSet(directory: setDirectory!)
        case .git:
            throw ManifestError(
                "\(displayName): <nixpkgs> can be devenv's set (builtin) or a path: set, not \(nixpkgs)")
        }
        let evaluation = NixProjectEvaluation(
            path: path, bytes: bytes, displayName: displayName, system: system, packages: packages)
        let (manifest, read) = try NixEvaluator.onLargeStack { try evaluation.manifest() }
        self = manifest
        inputs[PackageRequest.defaultInput] = nixpkgs
        // A path: set's recipes are read too: a change to them is a change to the names.
        cache?.store(self, key: key, read: read + (setDirectory.map { [$0] } ?? []))
    }

    /// The variable that chooses the package set of a Nix project's `<nixpkgs>` (an input: `builtin`
    /// or `path:DIR`), as NIX_PATH's `nixpkgs=` does for Nix.
    public static let nixpkgsVariable = "DEVENV_NIXPKGS"
}

/// One evaluation of a project's Nix file into a manifest.
struct NixProjectEvaluation: @unchecked Sendable {
    /// Where the provided files live; nothing on disk is there.
    static let providedRoot = "/__devenv__"

    let path: String
    let bytes: Data
    let displayName: String
    let system: String
    let packages: PackageSet

    /// The manifest, and the files the evaluation read (besides `path`).
    func manifest() throws -> (Manifest, [String]) {
        do {
            return try evaluate()
        } catch let error as NixSyntaxError {
            throw ManifestError(relocated(error.description))
        } catch let error as NixEvalError {
            throw ManifestError(relocated(error.description))
        }
    }

    /// Messages name the file as the user does (`shell.nix:3:5`), not by its absolute path.
    private func relocated(_ message: String) -> String {
        message.replacingOccurrences(of: path + ":", with: displayName + ":")
    }

    private func evaluate() throws -> (Manifest, [String]) {
        var options = NixEvaluator.Options()
        options.currentSystem = system
        options.searchPath = [("nixpkgs", NixProjectEvaluation.providedRoot + "/nixpkgs")]
        let evaluator = try NixEvaluator(options: options)
        let nixpkgs = try provideNixpkgs(to: evaluator)
        let directory = (path as NSString).deletingLastPathComponent
        let value = try evaluator.evaluate(try evaluator.parse(Array(bytes), file: path, basePath: directory))
        var manifest = try Manifest(parsing: "", file: displayName, currentSystem: system)
        if (path as NSString).lastPathComponent == "flake.nix" {
            let outputs = try flakeOutputs(value, evaluator: evaluator, nixpkgs: nixpkgs, root: directory)
            manifest.shells = try flakeShells(outputs, evaluator: evaluator)
            let shell = manifest.shells[Manifest.defaultShell]!
            manifest.checks = try flakeChecks(outputs, evaluator: evaluator, shell: shell)
            manifest.scripts = try flakeApps(outputs, evaluator: evaluator, shell: shell)
        } else {
            let shell = try evaluator.autoCall(value, NixAttrs())
            manifest.shells = [Manifest.defaultShell: try self.shell(shell, evaluator: evaluator, what: displayName)]
        }
        let read = evaluator.filesRead.filter { !$0.hasPrefix(NixProjectEvaluation.providedRoot + "/") && $0 != path }
        return (manifest, read.sorted())
    }

    /// `<nixpkgs>` (and `<nixpkgs/lib>`): devenv's packages under their names. Returns the
    /// function `import <nixpkgs>` gives.
    private func provideNixpkgs(to evaluator: NixEvaluator) throws -> NixValue {
        let names = Set(packages.recipes.keys).union(packages.aliases.keys).sorted()
        var nested: [String: NixValue] = [:]
        for (group, members) in NixProjectEvaluation.nestedNames {
            let present = members.filter { names.contains($0.package) }
            nested[group] = .list(
                NixList(
                    present.map {
                        .attrs(
                            NixAttrs(values: [
                                "name": .string(NixString($0.name)), "package": .string(NixString($0.package)),
                            ]))
                    }))
        }
        let root = NixProjectEvaluation.providedRoot + "/nixpkgs"
        let lib = try provided(NixPackageSetSource.lib, at: "nixpkgs/lib.nix", evaluator: evaluator)
        evaluator.provide(lib, at: root + "/lib.nix")
        evaluator.provide(lib, at: root + "/lib")
        let function = try provided(NixPackageSetSource.nixpkgs, at: "nixpkgs/default.nix", evaluator: evaluator)
        let nixpkgs = try evaluator.apply(
            function,
            .attrs(
                NixAttrs(values: [
                    "names": .list(NixList(names.map { .string(NixString($0)) })),
                    "nested": .attrs(NixAttrs(values: nested)),
                    "open": .string(NixString(Manifest.referenceOpen)),
                    "close": .string(NixString(Manifest.referenceClose)),
                    "hostSystem": .string(NixString(system)),
                ])))
        evaluator.provide(nixpkgs, at: root)
        return nixpkgs
    }

    /// nixpkgs' nested package sets, for the names devenv has.
    static let nestedNames: [String: [(name: String, package: String)]] = [
        "nodePackages": [("typescript", "typescript"), ("eslint", "eslint")],
        "nodePackages_latest": [("typescript", "typescript"), ("eslint", "eslint")],
    ]

    // MARK: Flakes

    /// A flake's outputs, called with its inputs and `self`.
    private func flakeOutputs(_ value: NixValue, evaluator: NixEvaluator, nixpkgs: NixValue, root: String) throws
        -> NixAttrs
    {
        guard case .attrs(let flake) = try evaluator.force(value) else {
            throw ManifestError("\(displayName): a flake is a set with `inputs` and `outputs`")
        }
        let inputs = try flakeInputs(flake, evaluator: evaluator, nixpkgs: nixpkgs)
        let call = try provided(NixProjectEvaluation.callFlake, at: "call-flake.nix", evaluator: evaluator)
        let outputs = try evaluator.apply(
            call, .attrs(NixAttrs(values: ["flake": value, "inputs": .attrs(inputs), "root": .path(root)])))
        guard case .attrs(let attrs) = outputs else {
            throw ManifestError("\(displayName): the flake's outputs are not a set")
        }
        return attrs
    }

    /// `outputs.<kind>.<system>` as a set, or nil.
    private func forSystem(_ kind: String, of outputs: NixAttrs, evaluator: NixEvaluator) throws -> NixValue? {
        guard let all = outputs[kind], case .attrs(let bySystem) = try evaluator.force(all) else { return nil }
        return try bySystem[system].map { try evaluator.force($0) }
    }

    /// A flake's `devShells.<system>` (or the older `devShell.<system>`), by name.
    private func flakeShells(_ outputs: NixAttrs, evaluator: NixEvaluator) throws -> [String: Manifest.Shell] {
        var shells: [String: Manifest.Shell] = [:]
        if case .attrs(let named)? = try forSystem("devShells", of: outputs, evaluator: evaluator) {
            for name in named.sortedNames {
                shells[name] = try shell(named[name]!, evaluator: evaluator, what: "devShells.\(system).\(name)")
            }
        } else if let legacy = try forSystem("devShell", of: outputs, evaluator: evaluator) {
            shells[Manifest.defaultShell] = try shell(legacy, evaluator: evaluator, what: "devShell.\(system)")
        }
        guard !shells.isEmpty else {
            throw ManifestError("\(displayName): the flake has no devShells.\(system)")
        }
        if shells[Manifest.defaultShell] == nil {
            shells[Manifest.defaultShell] = Manifest.Shell(packages: [], env: [:], hook: nil, aliases: [:])
        }
        return shells
    }

    /// `checks.<system>` made with `runCommand`: devenv's checks, their scripts run in the project
    /// with `$out` a fresh path. Other checks (packages, shells) have nothing to run and are left out.
    private func flakeChecks(_ outputs: NixAttrs, evaluator: NixEvaluator, shell: Manifest.Shell) throws
        -> [(name: String, command: String)]
    {
        guard case .attrs(let named)? = try forSystem("checks", of: outputs, evaluator: evaluator) else { return [] }
        return try named.sortedNames.compactMap { name in
            guard case .attrs(let check) = try evaluator.force(named[name]!), let command = check["__devenvCommand"],
                case .attrs(let made) = try evaluator.force(command), let script = made["script"]
            else { return nil }
            let text = try usable(evaluator.text(of: script).text, in: shell, at: named.entries[name]?.position)
            return (name, "out=\"$(mktemp -d)/out\"\n" + text)
        }
    }

    /// `apps.<system>`: devenv's scripts, each running its `program`.
    private func flakeApps(_ outputs: NixAttrs, evaluator: NixEvaluator, shell: Manifest.Shell) throws
        -> [String: String]
    {
        guard case .attrs(let named)? = try forSystem("apps", of: outputs, evaluator: evaluator) else { return [:] }
        var scripts: [String: String] = [:]
        for name in named.sortedNames {
            guard case .attrs(let app) = try evaluator.force(named[name]!), let program = app["program"] else {
                throw ManifestError("\(displayName): apps.\(system).\(name) has no `program`")
            }
            let text = try usable(evaluator.text(of: program).text, in: shell, at: named.entries[name]?.position)
            scripts[name] = ShellSyntax.posixQuoted(text)
        }
        return scripts
    }

    /// Calls a flake's `outputs` with its inputs and `self`, as Nix does.
    static let callFlake = """
        { flake, inputs, root }:
        let
          self = outputs // { outPath = root; inherit inputs; sourceInfo = { outPath = root; }; _type = "flake"; };
          outputs = flake.outputs (inputs // { inherit self; });
        in outputs
        """

    /// The inputs devenv can give a flake: nixpkgs (its own package set, whatever the URL
    /// pins) and flake-utils. Any other input is an error naming it.
    private func flakeInputs(_ flake: NixAttrs, evaluator: NixEvaluator, nixpkgs: NixValue) throws -> NixAttrs {
        let flakeUtils = try provided(NixPackageSetSource.flakeUtils, at: "flake-utils.nix", evaluator: evaluator)
        // nixpkgs as a flake: `legacyPackages.<system>` (each made only if used) and `lib`.
        let nixpkgsFlake = try evaluator.apply(
            try provided(NixPackageSetSource.nixpkgsFlake, at: "nixpkgs/flake.nix", evaluator: evaluator), nixpkgs)
        let inputs = NixAttrs()
        var declared: [String: (url: String, position: NixPosition?)] = [:]
        if let value = flake.entries["inputs"] {
            guard case .attrs(let attrs) = try evaluator.force(value.value) else {
                throw ManifestError("\(displayName): `inputs` is not a set")
            }
            for name in attrs.sortedNames {
                var url = ""
                if case .attrs(let input) = try evaluator.force(attrs[name]!), let text = input["url"] {
                    url = try evaluator.text(of: text).text
                } else if case .string(let text) = try evaluator.force(attrs[name]!) {
                    url = text.text
                }
                declared[name] = (url, attrs.entries[name]?.position)
            }
        }
        // Undeclared, nixpkgs and flake-utils come from the registry in Nix: here, too.
        for name in Set(declared.keys).union(["nixpkgs", "flake-utils"]).sorted() {
            let url = declared[name]?.url ?? ""
            if name == "nixpkgs" || url.contains("nixpkgs") {
                inputs.set(name, nixpkgsFlake)
            } else if name == "flake-utils" || url.contains("flake-utils") {
                inputs.set(name, flakeUtils)
            } else {
                let place = declared[name]?.position.map { relocated("\($0): ") } ?? "\(displayName): "
                throw ManifestError(
                    "\(place)flake input '\(name)' (\(url)): devenv gives flakes only nixpkgs (its own package set) and flake-utils"
                )
            }
        }
        return inputs
    }

    /// The value of devenv's own Nix code `source`, as if it were the file `name` under
    /// `providedRoot` (where its relative paths and its positions point).
    private func provided(_ source: String, at name: String, evaluator: NixEvaluator) throws -> NixValue {
        let file = NixProjectEvaluation.providedRoot + "/" + name
        return try evaluator.evaluate(
            try evaluator.parse(Array(source.utf8), file: file, basePath: (file as NSString).deletingLastPathComponent))
    }

    // MARK: Shells

    /// The attributes of `mkShell` that are not variables.
    static let shellAttributes: Set<String> = [
        "name", "packages", "buildInputs", "nativeBuildInputs", "propagatedBuildInputs",
        "propagatedNativeBuildInputs", "inputsFrom", "shellHook", "passthru", "meta",
    ]
    static let packageLists = [
        "packages", "buildInputs", "nativeBuildInputs", "propagatedBuildInputs", "propagatedNativeBuildInputs",
    ]

    /// What `mkShell` was given, as a manifest shell. `what` names it in errors.
    private func shell(_ value: NixValue, evaluator: NixEvaluator, what: String) throws -> Manifest.Shell {
        guard case .attrs(let made) = try evaluator.force(value), let given = made["__devenvShell"],
            case .attrs(let attrs) = try evaluator.force(given)
        else {
            throw ManifestError("\(displayName): \(what) is not made by mkShell (or mkShellNoCC)")
        }
        var result = Manifest.Shell(packages: [], env: [:], hook: nil, aliases: [:])
        var hooks: [String] = []
        if let inputsFrom = attrs.entries["inputsFrom"] {
            for element in try list(inputsFrom, evaluator: evaluator, what: "inputsFrom") {
                guard case .attrs(let other) = try evaluator.force(element), other["__devenvShell"] != nil else {
                    continue
                }
                let inner = try shell(element, evaluator: evaluator, what: "inputsFrom")
                result.packages += inner.packages.filter { !result.packages.contains($0) }
                result.env.merge(inner.env) { $1 }
                result.locations.merge(inner.locations) { $1 }
                if let hook = inner.hook { hooks.append(hook) }
            }
        }
        for key in NixProjectEvaluation.packageLists {
            guard let entry = attrs.entries[key] else { continue }
            let place = entry.position.map { relocated("\($0)") } ?? displayName
            for element in try list(entry, evaluator: evaluator, what: key) {
                let forced = try evaluator.force(element)
                if case .null = forced { continue }
                if case .attrs(let made) = forced, let script = made["__devenvScript"],
                    case .attrs(let attrs) = try evaluator.force(script), let name = attrs["name"]
                {
                    let text = try evaluator.text(of: name).text
                    throw ManifestError(
                        "\(place): \(key) holds the script '\(text)' (writeShellScriptBin); devenv cannot put a script made in Nix into a shell yet (use [scripts] in a devenv.toml)"
                    )
                }
                guard case .attrs(let package) = forced, let name = package["__devenvPackage"] else {
                    throw ManifestError(
                        "\(place): \(key) holds \(forced.typeDescription) that is not a package of devenv's set")
                }
                let text = try evaluator.text(of: name).text
                guard let request = PackageRequest(text), request.input == nil else {
                    throw ManifestError("\(place): \(key) holds '\(text)', which is not a package name")
                }
                if !result.packages.contains(request) {
                    result.packages.append(request)
                    result.locations[text] = place
                }
            }
        }
        if let hook = attrs["shellHook"] {
            hooks.append(
                try usable(evaluator.text(of: hook).text, in: result, at: attrs.entries["shellHook"]!.position))
        }
        result.hook = hooks.isEmpty ? nil : hooks.joined(separator: "\n")
        for name in attrs.sortedNames
        where !NixProjectEvaluation.shellAttributes.contains(name) && !name.hasPrefix("__") {
            let place = attrs.entries[name]?.position.map { relocated("\($0)") } ?? displayName
            guard ShellSyntax.isVariable(name) else {
                throw ManifestError("\(place): '\(name)' is not \(ShellSyntax.variableRule)")
            }
            guard !Environment.isDevenvOwn(name) else {
                throw ManifestError("\(place): '\(name)' is devenv's own (DEVENV_… and __devenv… are)")
            }
            result.env[name] = try usable(
                evaluator.text(of: attrs[name]!).text, in: result, at: attrs.entries[name]?.position)
        }
        return result
    }

    /// `text`, once sure that every store path it names is one of `shell`'s packages, the only
    /// paths entering it can put there.
    private func usable(_ text: String, in shell: Manifest.Shell, at position: NixPosition?) throws -> String {
        if let name = Manifest.packageReferences(in: text).first(where: { !shell.has($0) }) {
            let place = position.map { relocated("\($0)") } ?? displayName
            throw ManifestError("\(place): \(Manifest.unknownReference(name))")
        }
        return text
    }

    private func list(_ entry: NixAttrs.Attr, evaluator: NixEvaluator, what: String) throws -> [NixValue] {
        guard case .list(let list) = try evaluator.force(entry.value) else {
            let place = entry.position.map { relocated("\($0)") } ?? displayName
            throw ManifestError("\(place): \(what) is not a list")
        }
        return list.elements
    }
}
