import DevenvBasics
import DevenvNixLang
import DevenvPackages
import DevenvStore
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
    /// set `<nixpkgs>` means (`builtin`, or `path:DIR` relative to the file's directory). A
    /// flake's inputs are locked against `flake`'s flake.lock, and fetched into its store when
    /// needed; `flakeLock` is then the lock they were evaluated from.
    /// Results are kept in `cacheDirectory` (see `NixEvaluationCache`), when given.
    public init(
        nixFile path: String, bytes: Data, displayName: String, nixpkgs: InputSpec = .builtin,
        system: String = CurrentSystem.name, cacheDirectory: String? = nil, flake: FlakeLockOptions = FlakeLockOptions()
    ) throws {
        let cache = flake.updating == nil ? cacheDirectory.map(NixEvaluationCache.init) : nil
        let key = NixEvaluationCache.key(path: path, bytes: bytes, system: system, nixpkgs: nixpkgs)
        let lockPath = (path as NSString).deletingLastPathComponent + "/" + Manifest.flakeLockFile
        let isFlake = (path as NSString).lastPathComponent == "flake.nix"
        if let cached = cache?.manifest(key: key, displayName: displayName, system: system) {
            self = cached
            inputs[PackageRequest.defaultInput] = nixpkgs
            // Kept only while flake.lock was current: it still is.
            flakeLock = isFlake ? flake.lockText : nil
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
            path: path, bytes: bytes, displayName: displayName, system: system, packages: packages, flake: flake)
        let (manifest, read) = try NixEvaluator.onLargeStack { try evaluation.manifest() }
        self = manifest
        inputs[PackageRequest.defaultInput] = nixpkgs
        guard flakeLock == flake.lockText else { return }
        // A path: set's recipes are read too: a change to them is a change to the names.
        cache?.store(
            self, key: key, read: read + (setDirectory.map { [$0] } ?? []) + (isFlake ? [lockPath] : []))
    }

    /// The file a flake's inputs are locked in, beside its flake.nix.
    public static let flakeLockFile = "flake.lock"

    /// The variable that chooses the package set of a Nix project's `<nixpkgs>` (an input: `builtin`
    /// or `path:DIR`), as NIX_PATH's `nixpkgs=` does for Nix.
    public static let nixpkgsVariable = "DEVENV_NIXPKGS"
}

/// How evaluating a flake.nix treats its flake.lock.
public struct FlakeLockOptions: Sendable {
    /// flake.lock as read (nil: there is none).
    public var lockBytes: Data?
    var lockText: String? { lockBytes.map { String(decoding: $0, as: UTF8.self) } }
    /// The inputs to move to their newest (`devenv update`): nil for none, empty for all.
    public var updating: Set<String>?
    /// False where nothing may be fetched: an input the store lacks is then an error.
    public var fetching: Bool
    /// The store fetched inputs go into, opened only when one must be fetched or looked up.
    public var store: @Sendable () throws -> Store

    public init(
        lockBytes: Data? = nil, updating: Set<String>? = nil, fetching: Bool = true,
        store: @escaping @Sendable () throws -> Store = { try Store() }
    ) {
        self.lockBytes = lockBytes
        self.updating = updating
        self.fetching = fetching
        self.store = store
    }
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
    let flake: FlakeLockOptions
    let scripts = NixScripts()

    /// The manifest, and the files the evaluation read (besides `path`).
    func manifest() throws -> (Manifest, [String]) {
        do {
            return try evaluate()
        } catch let error as NixSyntaxError {
            throw ManifestError(relocated(error.description))
        } catch let error as NixEvalError {
            throw ManifestError(relocated(error.description))
        } catch let error as ManifestError {
            throw ManifestError(relocated(error.description))
        } catch let error as ProjectError {
            throw ProjectError(relocated(error.description))
        } catch let error as FlakeInputNotFetched {
            throw FlakeInputNotFetched(description: relocated(error.description))
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
        var inputSources: [String] = []
        if (path as NSString).lastPathComponent == "flake.nix" {
            let (outputs, lock, sources) = try flakeOutputs(
                value, evaluator: evaluator, nixpkgs: nixpkgs, root: directory)
            manifest.flakeLock = lock
            inputSources = sources
            manifest.containers = try flakeImages(outputs, evaluator: evaluator)
            manifest.shells = try flakeShells(outputs, evaluator: evaluator, required: manifest.containers.isEmpty)
            let shell = manifest.shells[Manifest.defaultShell]!
            manifest.checks = try flakeChecks(outputs, evaluator: evaluator, shell: shell)
            manifest.scripts = try flakeApps(outputs, evaluator: evaluator, shell: shell)
        } else {
            let shell = try evaluator.autoCall(value, NixAttrs(in: evaluator))
            manifest.shells = [Manifest.defaultShell: try self.shell(shell, evaluator: evaluator, what: displayName)]
        }
        // Inputs in the store never change (flake.lock pins them): they need no watching.
        let unwatched = [NixProjectEvaluation.providedRoot + "/"] + inputSources.map { $0 + "/" }
        let read = evaluator.filesRead.filter { file in file != path && !unwatched.contains(where: file.hasPrefix) }
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
                            NixAttrs(
                                values: [
                                    "name": .string(NixString($0.name), in: evaluator),
                                    "package": .string(NixString($0.package), in: evaluator),
                                ], in: evaluator))
                    }, in: evaluator))
        }
        let root = NixProjectEvaluation.providedRoot + "/nixpkgs"
        let lib = try provided(NixPackageSetSource.lib, at: "nixpkgs/lib.nix", evaluator: evaluator)
        evaluator.provide(lib, at: root + "/lib.nix")
        evaluator.provide(lib, at: root + "/lib")
        let function = try provided(NixPackageSetSource.nixpkgs, at: "nixpkgs/default.nix", evaluator: evaluator)
        let nixpkgs = try evaluator.apply(
            function,
            .attrs(
                NixAttrs(
                    values: [
                        "names": .list(NixList(names.map { .string(NixString($0), in: evaluator) }, in: evaluator)),
                        "nested": .attrs(NixAttrs(values: nested, in: evaluator)),
                        "open": .string(NixString(Manifest.referenceOpen), in: evaluator),
                        "close": .string(NixString(Manifest.referenceClose), in: evaluator),
                        "script": .primop(
                            NixPrimOp("script", arity: 2, in: evaluator) { [scripts] evaluator, arguments, _ in
                                .string(
                                    NixString(
                                        scripts.marker(
                                            name: try evaluator.text(of: arguments[0]).text,
                                            text: try evaluator.text(of: arguments[1]).text)), in: evaluator)
                            }),
                        "hostSystem": .string(NixString(system), in: evaluator),
                    ], in: evaluator)))
        evaluator.provide(nixpkgs, at: root)
        return nixpkgs
    }

    /// nixpkgs' nested package sets, for the names devenv has.
    static let nestedNames: [String: [(name: String, package: String)]] = [
        "nodePackages": [("typescript", "typescript"), ("eslint", "eslint")],
        "nodePackages_latest": [("typescript", "typescript"), ("eslint", "eslint")],
    ]

    // MARK: Flakes

    /// A flake's outputs, called with its inputs and `self` as Nix calls them, the text of the
    /// flake.lock they were locked in (nil when there is nothing to write and was no file), and
    /// where the fetched inputs are.
    private func flakeOutputs(_ value: NixValue, evaluator: NixEvaluator, nixpkgs: NixValue, root: String) throws
        -> (NixAttrs, String?, [String])
    {
        guard case .attrs(let flake) = try evaluator.force(value) else {
            throw ManifestError("\(displayName): a flake is a set with `inputs` and `outputs`")
        }
        let declared = try FlakeLocker.declarations(of: flake, evaluator: evaluator, path: [], file: path)
        let previous = try self.flake.lockText.map { try FlakeLock(text: $0, file: Manifest.flakeLockFile) }
        if let updating = self.flake.updating, let unknown = updating.sorted().first(where: { declared[$0] == nil }) {
            throw ManifestError("the flake has no input '\(unknown)'")
        }
        let locker = FlakeLocker(
            evaluator: evaluator, store: self.flake.store, fetching: self.flake.fetching,
            updating: self.flake.updating.map { Set($0.map { [$0] }) })
        let lock = try locker.lock(declared, directory: root, previous: previous)
        let nodes = try flakeNodes(lock, fetched: locker.fetched, evaluator: evaluator, nixpkgs: nixpkgs)
        let call = try provided(NixProjectEvaluation.callFlake, at: "call-flake.nix", evaluator: evaluator)
        let outputs = try evaluator.apply(
            call,
            .attrs(
                NixAttrs(
                    values: ["flake": value, "nodes": .attrs(nodes), "root": .path(root, in: evaluator)], in: evaluator)
            ))
        guard case .attrs(let attrs) = try evaluator.force(outputs) else {
            throw ManifestError("\(displayName): the flake's outputs are not a set")
        }
        return (
            attrs, lock.root.hasWrittenInputs || previous != nil ? lock.text : nil, locker.fetched.values.map(\.path)
        )
    }

    /// Every input of the lock as call-flake.nix takes it, by an id ("root" for the flake): its
    /// `inputs` (input name → id, follows resolved), and either `value` (devenv's own inputs) or
    /// `flake`, `sourceInfo` and `directory` (where its flake.nix is).
    private func flakeNodes(
        _ lock: FlakeLock, fetched: [ObjectIdentifier: FetchedFlakeInput], evaluator: NixEvaluator, nixpkgs: NixValue
    ) throws -> NixAttrs {
        var made: [FlakeBuiltin: NixValue] = [:]
        func value(of builtin: FlakeBuiltin) throws -> NixValue {
            if let known = made[builtin] { return known }
            let value = try newValue(of: builtin)
            made[builtin] = value
            return value
        }
        func newValue(of builtin: FlakeBuiltin) throws -> NixValue {
            switch builtin {
            case .nixpkgs:
                // nixpkgs as a flake: `legacyPackages.<system>` (each made only if used) and `lib`.
                return try evaluator.apply(
                    try provided(NixPackageSetSource.nixpkgsFlake, at: "nixpkgs/flake.nix", evaluator: evaluator),
                    nixpkgs)
            case .flakeUtils:
                return try provided(NixPackageSetSource.flakeUtils, at: "flake-utils.nix", evaluator: evaluator)
            case .systems(let systems):
                let directory = NixProjectEvaluation.providedRoot + "/nix-systems/" + systems.joined(separator: "+")
                let list = NixValue.list(NixList(systems.map { .string(NixString($0), in: evaluator) }, in: evaluator))
                evaluator.provide(list, at: directory)
                evaluator.provide(list, at: directory + "/default.nix")
                return .attrs(
                    NixAttrs(
                        values: [
                            "outPath": .string(NixString(directory), in: evaluator),
                            "_type": .string(NixString("flake"), in: evaluator),
                            "inputs": .attrs(NixAttrs(in: evaluator)), "outputs": .attrs(NixAttrs(in: evaluator)),
                        ], in: evaluator))
            }
        }
        let nodes = NixAttrs(in: evaluator)
        var ids: [ObjectIdentifier: String] = [:]
        func id(of node: FlakeLock.Node) throws -> String {
            if let known = ids[ObjectIdentifier(node)] { return known }
            let made = node === lock.root ? "root" : "\(ids.count)"
            ids[ObjectIdentifier(node)] = made
            let inputs = NixAttrs(in: evaluator)
            for (name, input) in node.inputs {
                let target: FlakeLock.Node? =
                    switch input {
                    case .node(let child): child
                    case .follows(let path): lock.node(at: path)
                    }
                if let target { inputs.set(name, .string(NixString(try id(of: target)), in: evaluator)) }
            }
            var fields: [String: NixValue] = ["inputs": .attrs(inputs), "flake": .bool(node.isFlake)]
            if let builtin = node.builtin {
                fields["value"] = try value(of: builtin)
            } else if let source = fetched[ObjectIdentifier(node)] {
                fields["sourceInfo"] = NixProjectEvaluation.nixValue(.object(source.sourceInfo), in: evaluator)
                fields["directory"] = .string(NixString(FlakeLocker.flakeDirectory(of: source)), in: evaluator)
            }
            nodes.set(made, .attrs(NixAttrs(values: fields, in: evaluator)))
            return made
        }
        _ = try id(of: lock.root)
        return nodes
    }

    private static func nixValue(_ json: CanonicalJSON, in evaluator: NixEvaluator) -> NixValue {
        switch json {
        case .string(let text): .string(NixString(text), in: evaluator)
        case .integer(let number): .int(Int(number))
        case .bool(let flag): .bool(flag)
        case .null: .null
        case .array(let elements): .list(NixList(elements.map { nixValue($0, in: evaluator) }, in: evaluator))
        case .object(let members):
            .attrs(NixAttrs(values: members.mapValues { nixValue($0, in: evaluator) }, in: evaluator))
        }
    }

    /// `outputs.<kind>.<system>` as a set, or nil.
    private func forSystem(_ kind: String, of outputs: NixAttrs, evaluator: NixEvaluator) throws -> NixValue? {
        guard let all = outputs[kind], case .attrs(let bySystem) = try evaluator.force(all) else { return nil }
        return try bySystem[system].map { try evaluator.force($0) }
    }

    /// A flake's `devShells.<system>` (or the older `devShell.<system>`), by name; a flake with
    /// none is an error unless it is not `required` (it has images to build).
    private func flakeShells(_ outputs: NixAttrs, evaluator: NixEvaluator, required: Bool) throws
        -> [String: Manifest.Shell]
    {
        var shells: [String: Manifest.Shell] = [:]
        if case .attrs(let named)? = try forSystem("devShells", of: outputs, evaluator: evaluator) {
            for name in named.sortedNames {
                shells[name] = try shell(named[name]!, evaluator: evaluator, what: "devShells.\(system).\(name)")
            }
        } else if let legacy = try forSystem("devShell", of: outputs, evaluator: evaluator) {
            shells[Manifest.defaultShell] = try shell(legacy, evaluator: evaluator, what: "devShell.\(system)")
        }
        guard !shells.isEmpty || !required else {
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
            let text = try usable(evaluator.text(of: script).text, in: shell, at: named.entry(name)?.position)
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
            let path = try evaluator.text(of: program).text
            // A script made in Nix runs as itself: bash with its text, the arguments as its own.
            if let script = self.scripts.program(at: path) {
                scripts[name] = "bash -c \(ShellSyntax.posixQuoted(script)) \(ShellSyntax.posixQuoted(name))"
                continue
            }
            scripts[name] = ShellSyntax.posixQuoted(try usable(path, in: shell, at: named.entry(name)?.position))
        }
        return scripts
    }

    /// `packages.<system>` made with `dockerTools.buildLayeredImage` or `streamLayeredImage`:
    /// devenv's containers, by attribute name. What Nix puts in an image's closure through its
    /// config (`Cmd = [ "${pkgs.nodejs_24}/bin/node" ]`) is among its packages here.
    private func flakeImages(_ outputs: NixAttrs, evaluator: NixEvaluator) throws -> [String: ContainerSpec] {
        guard case .attrs(let named)? = try forSystem("packages", of: outputs, evaluator: evaluator) else { return [:] }
        var images: [String: ContainerSpec] = [:]
        for attribute in named.sortedNames {
            guard case .attrs(let made) = try evaluator.force(named[attribute]!), let given = made["__devenvImage"],
                case .attrs(let attrs) = try evaluator.force(given)
            else { continue }
            let what = "packages.\(system).\(attribute)"
            let place = { (key: String) in
                attrs.entry(key)?.position.map { self.relocated("\($0)") } ?? "\(self.displayName): \(what)"
            }
            for key in [
                "fromImage", "extraCommands", "fakeRootCommands", "runAsRoot", "copyToRoot", "enableFakechroot",
            ]
            where attrs[key] != nil {
                throw ManifestError("\(place(key)): '\(key)' is not supported by devenv's images (docs/containers.md)")
            }
            let name = try evaluator.text(of: attrs["name"]!).text
            guard ContainerSpec.isName(name) else {
                throw ManifestError(
                    "\(place("name")): \(name.debugDescription) is not an image name (lowercase letters, digits, '.', '_' and '-')"
                )
            }
            var spec = ContainerSpec(name: name, key: attribute, packages: [])
            if let tag = attrs["tag"] {
                let text = try evaluator.text(of: tag).text
                guard ContainerSpec.isTag(text) else { throw ManifestError("\(place("tag")): '\(text)' is not a tag") }
                spec.tag = text
            }
            if let layers = attrs["maxLayers"] {
                guard case .int(let count) = try evaluator.force(layers), (2...ContainerSpec.layerLimit).contains(count)
                else {
                    throw ManifestError(
                        "\(place("maxLayers")): maxLayers must be between 2 and \(ContainerSpec.layerLimit)")
                }
                spec.maxLayers = Int(count)
            }
            var packages: [String] = []
            if let contents = attrs.entry("contents") {
                for element in try list(contents, evaluator: evaluator, what: "contents") {
                    guard case .attrs(let package) = try evaluator.force(element), let text = package["__devenvPackage"]
                    else {
                        throw ManifestError(
                            "\(place("contents")): contents holds something that is not a package of devenv's set")
                    }
                    let request = try evaluator.text(of: text).text
                    if !packages.contains(request) { packages.append(request) }
                }
            }
            if let config = attrs["config"] {
                guard case .attrs(let settings) = try evaluator.force(config) else {
                    throw ManifestError("\(place("config")): config is not a set")
                }
                let known: Set = ["Cmd", "Entrypoint", "Env", "WorkingDir", "User", "ExposedPorts", "Labels"]
                if let unknown = settings.sortedNames.first(where: { !known.contains($0) }) {
                    throw ManifestError(
                        "\(place("config")): config.\(unknown) is not supported by devenv's images (they take \(known.sorted().joined(separator: ", ")))"
                    )
                }
                let strings = { (key: String) throws -> [String] in
                    guard let entry = settings.entry(key) else { return [] }
                    return try self.list(entry, evaluator: evaluator, what: "config.\(key)").map {
                        try evaluator.text(of: $0).text
                    }
                }
                spec.cmd = try strings("Cmd")
                spec.entrypoint = try strings("Entrypoint")
                for pair in try strings("Env") {
                    guard let equals = pair.firstIndex(of: "="), ShellSyntax.isVariable(String(pair[..<equals])) else {
                        throw ManifestError("\(place("config")): config.Env holds '\(pair)', which is not NAME=VALUE")
                    }
                    spec.env[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
                }
                if let workdir = settings["WorkingDir"] {
                    let text = try evaluator.text(of: workdir).text
                    guard text == "/" || ContainerSpec.isImagePath(text) else {
                        throw ManifestError(
                            "\(place("config")): config.WorkingDir must be an absolute path without '.' or '..'")
                    }
                    spec.workdir = text
                }
                if let user = settings["User"] {
                    let text = try evaluator.text(of: user).text
                    guard ContainerSpec.isUser(text) else {
                        throw ManifestError(
                            "\(place("config")): config.User must be NAME, UID, NAME:GROUP or UID:GID (letters, digits, '_' and '-')"
                        )
                    }
                    spec.user = text
                }
                if case .attrs(let ports)? = try settings["ExposedPorts"].map({ try evaluator.force($0) }) {
                    spec.ports = try ports.sortedNames.map { text in
                        guard let port = ContainerSpec.port(text) else {
                            throw ManifestError("\(place("config")): '\(text)' in config.ExposedPorts is not a port")
                        }
                        return port
                    }
                }
                if case .attrs(let labels)? = try settings["Labels"].map({ try evaluator.force($0) }) {
                    for label in labels.sortedNames { spec.labels[label] = try evaluator.text(of: labels[label]!).text }
                }
            }
            for text in spec.cmd + spec.entrypoint + spec.env.values.sorted() {
                for reference in Manifest.packageReferences(in: text) where !packages.contains(reference) {
                    packages.append(reference)
                }
            }
            spec.packages = packages
            for request in packages { spec.locations[request] = place("contents") }
            images[attribute] = spec
        }
        return images
    }

    /// Calls a flake's `outputs` with its inputs and `self`, and each input flake's with its own,
    /// as Nix 2.8's call-flake.nix does; `self` of the project's flake is its directory.
    static let callFlake = """
        { flake, nodes, root }:
        let
          all = builtins.mapAttrs (id: node:
            let
              isRoot = id == "root";
              sourceInfo = if isRoot then { outPath = root; } else node.sourceInfo;
              imported = if isRoot then flake else import (node.directory + "/flake.nix");
              inputs = builtins.mapAttrs (name: target: all.${target}) node.inputs;
              outputs = imported.outputs (inputs // { self = result; });
              result = outputs // sourceInfo // { inherit inputs outputs sourceInfo; _type = "flake"; };
            in
              if node ? value then node.value
              else if node.flake then result
              else sourceInfo) nodes;
        in all.root
        """

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
        if let inputsFrom = attrs.entry("inputsFrom") {
            for element in try list(inputsFrom, evaluator: evaluator, what: "inputsFrom") {
                guard case .attrs(let other) = try evaluator.force(element), other["__devenvShell"] != nil else {
                    continue
                }
                let inner = try shell(element, evaluator: evaluator, what: "inputsFrom")
                result.packages += inner.packages.filter { !result.packages.contains($0) }
                result.env.merge(inner.env) { $1 }
                result.locations.merge(inner.locations) { $1 }
                result.programs.merge(inner.programs) { $1 }
                if let hook = inner.hook { hooks.append(hook) }
            }
        }
        for key in NixProjectEvaluation.packageLists {
            guard let entry = attrs.entry(key) else { continue }
            let place = entry.position.map { relocated("\($0)") } ?? displayName
            for element in try list(entry, evaluator: evaluator, what: key) {
                let forced = try evaluator.force(element)
                if case .null = forced { continue }
                if case .attrs(let made) = forced, let script = made["__devenvScript"] {
                    try program(script, into: &result, evaluator: evaluator, place: place)
                    continue
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
        // A package a program names (an application's runtimeInputs too) is in its closure in
        // Nix; here it is a package of the shell, after the ones listed.
        for text in result.programs.values.sorted() {
            for name in Manifest.packageReferences(in: text) where !result.has(name) {
                guard let request = PackageRequest(name) else { continue }
                result.packages.append(request)
            }
        }
        if let hook = attrs["shellHook"] {
            hooks.append(
                try usable(evaluator.text(of: hook).text, in: result, at: attrs.entry("shellHook")!.position))
        }
        result.hook = hooks.isEmpty ? nil : hooks.joined(separator: "\n")
        for name in attrs.sortedNames
        where !NixProjectEvaluation.shellAttributes.contains(name) && !name.hasPrefix("__") {
            let place = attrs.entry(name)?.position.map { relocated("\($0)") } ?? displayName
            guard ShellSyntax.isVariable(name) else {
                throw ManifestError("\(place): '\(name)' is not \(ShellSyntax.variableRule)")
            }
            guard !Environment.isDevenvOwn(name) else {
                throw ManifestError("\(place): '\(name)' is devenv's own (DEVENV_… and __devenv… are)")
            }
            result.env[name] = try usable(
                evaluator.text(of: attrs[name]!).text, in: result, at: attrs.entry(name)?.position)
        }
        return result
    }

    /// A script `writeShellScriptBin` or `writeShellApplication` made, as a program of `shell`.
    private func program(_ script: NixValue, into shell: inout Manifest.Shell, evaluator: NixEvaluator, place: String)
        throws
    {
        guard case .attrs(let attrs) = try evaluator.force(script), let name = attrs["name"], let text = attrs["text"]
        else { return }
        let programName = try evaluator.text(of: name).text
        guard ShellSyntax.isAlias(programName) else {
            throw ManifestError("\(place): '\(programName)' is not \(Manifest.programRule)")
        }
        let prelude = try attrs["prelude"].map { try evaluator.text(of: $0).text } ?? ""
        shell.programs[programName] = prelude + (try evaluator.text(of: text).text)
    }

    /// `text`, once sure that every store path it names is one of `shell`'s packages, the only
    /// paths entering it can put there.
    private func usable(_ written: String, in shell: Manifest.Shell, at position: NixPosition?) throws -> String {
        var text = written
        // A script that is a program of the shell is in the directory of its programs.
        for name in Manifest.packageReferences(in: written) {
            if let script = scripts.script(ofReference: name), shell.programs[script.name] == script.text {
                text = text.replacingOccurrences(
                    of: Manifest.packageReference(name), with: Manifest.packageReference(Manifest.programsPackage))
            }
        }
        if let name = Manifest.packageReferences(in: text).first(where: { !shell.has($0) }) {
            let place = position.map { relocated("\($0)") } ?? displayName
            if let script = scripts.script(ofReference: name)?.name {
                throw ManifestError(
                    "\(place): uses the store path of the script '\(script)', which is not a program of the shell (add it to its packages)"
                )
            }
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
