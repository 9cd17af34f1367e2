import DevenvBasics
import DevenvCache
import DevenvPackages
import Foundation

/// `devenv.toml`: what a project needs (inputs, shells with packages, variables and a hook,
/// checks, scripts). Written by people; read strictly, every mistake at its line and column.
public struct Manifest: Sendable, Equatable {
    public struct Shell: Sendable, Equatable {
        public var packages: [PackageRequest]
        public var env: [String: String]
        public var hook: String?
        public var aliases: [String: String]
        /// The aliases in the order they are defined (by name).
        public var orderedAliases: [(name: String, value: String)] {
            aliases.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        /// Where each package request is written (`devenv.toml:LINE:COLUMN`), for messages.
        public var locations: [String: String] = [:]
        /// Programs of the shell's own (`programs`, Nix's `writeShellScriptBin`): name → the bash
        /// script its environment has as `bin/NAME`.
        public var programs: [String: String] = [:]
    }

    /// What a program's name may be: a file name a shell finds on PATH.
    static let programRule = "a program name (letters, digits, _, -, . and +, not starting with - . or +)"

    /// The name of the shell `[shell]` declares.
    public static let defaultShell = "default"

    public var name: String?
    /// The systems the lock covers; by default the current one.
    public var systems: [String]
    public var inputs: [String: InputSpec]
    /// Where each declared input is written (`devenv.toml:LINE:COLUMN`), for messages.
    public var inputLocations: [String: String] = [:]
    public var shells: [String: Shell]
    /// In the order written.
    public var checks: [(name: String, command: String)]
    /// The services each check needs up (`needs`), by check.
    public var checkNeeds: [String: [String]] = [:]
    public var scripts: [String: String]
    /// `[services.NAME]`, by name.
    public var services: [String: Service] = [:]
    /// `[containers.NAME]`, by name.
    public var containers: [String: ContainerSpec] = [:]
    /// `[cache]`: binary caches the project suggests, used once the project is allowed.
    public var suggestedCaches = CacheSources()
    /// A flake.nix project's flake.lock as its inputs were locked: the file's text while it is
    /// current, new text when an input was added, changed or updated; nil when there is none.
    public var flakeLock: String?

    public static func == (lhs: Manifest, rhs: Manifest) -> Bool {
        lhs.name == rhs.name && lhs.systems == rhs.systems && lhs.inputs == rhs.inputs && lhs.shells == rhs.shells
            && lhs.checks.map(\.name) == rhs.checks.map(\.name)
            && lhs.checks.map(\.command) == rhs.checks.map(\.command)
            && lhs.scripts == rhs.scripts && lhs.services == rhs.services && lhs.checkNeeds == rhs.checkNeeds
            && lhs.suggestedCaches == rhs.suggestedCaches && lhs.containers == rhs.containers
    }

    /// The `[scripts]` entry `name`, or an error listing the ones there are.
    public func script(_ name: String) throws -> String {
        guard let command = scripts[name] else {
            let known = scripts.keys.sorted().joined(separator: ", ")
            throw ProjectError("devenv.toml has no script '\(name)'" + (known.isEmpty ? "" : " (it has: \(known))"))
        }
        return command
    }

    /// What the lock pins: the shells, and the packages of each container that names its own.
    public var lockedShells: [String: Shell] {
        var all = shells
        for container in containers.values {
            guard let packages = container.packages else { continue }
            all[ContainerSpec.lockName(container.key)] = Shell(
                packages: packages.compactMap(PackageRequest.init), env: [:], hook: nil, aliases: [:],
                locations: container.locations)
        }
        return all
    }

    /// The container `name` (the only one when nil), or an error listing the ones there are.
    public func container(_ name: String?) throws -> ContainerSpec {
        let known = containers.keys.sorted().joined(separator: ", ")
        guard let name else {
            guard containers.count == 1 else {
                throw ProjectError(
                    containers.isEmpty
                        ? "devenv.toml has no [containers.NAME]"
                        : "devenv.toml has several containers; name one (\(known))")
            }
            return containers.values.first!
        }
        guard let container = containers[name] else {
            throw ProjectError("devenv.toml has no container '\(name)'" + (known.isEmpty ? "" : " (it has: \(known))"))
        }
        return container
    }

    /// The shell `name`, or an error listing the ones there are.
    public func shell(_ name: String) throws -> Shell {
        guard let shell = shells[name] else {
            let known = shells.keys.sorted().joined(separator: ", ")
            throw ProjectError("devenv.toml has no shell '\(name)' (it has: \(known))")
        }
        return shell
    }
}

extension Manifest {
    /// Reads a manifest; `file` is the name used in messages.
    public init(parsing text: String, file: String, currentSystem: String = CurrentSystem.name) throws {
        let document: TOMLDocument
        do {
            document = try TOMLDocument(file: file, text: text)
        } catch let error as TOMLError {
            throw ManifestError(error.description)
        }
        do {
            try self.init(document: document, currentSystem: currentSystem)
        } catch let error as TOMLError {
            throw ManifestError(error.description)
        }
    }

    private init(document: TOMLDocument, currentSystem: String) throws {
        let top = TOMLTableReader(document, path: [], table: document.root)
        try top.rejectUnknownKeys([
            "project", "inputs", "shell", "shells", "checks", "scripts", "services", "cache", "containers",
        ])
        if let cache = try top.table("cache") {
            // Keys a project cannot set: what signs is the user's.
            try cache.rejectUnknownKeys(["substituters", "trusted-public-keys"])
            suggestedCaches = try CacheSources(reading: cache, suggested: true)
        }

        let project = try top.table("project")
        try project?.rejectUnknownKeys(["name", "systems"])
        name = try project?.string("name")
        systems = try project?.strings("systems") ?? [currentSystem]
        if systems.isEmpty {
            throw document.error(at: ["project", "systems"], "'systems' must name at least one system")
        }
        for system in systems {
            if let problem = CurrentSystem.problem(with: system) {
                throw document.error(at: ["project", "systems"], element: system, problem)
            }
        }

        var declaredInputs: [String: InputSpec] = [PackageRequest.defaultInput: .builtin]
        if let table = try top.table("inputs") {
            for key in table.table.keys.sorted() {
                guard let text = try table.string(key) else { continue }
                guard let spec = InputSpec(text) else {
                    throw table.error(
                        key,
                        "input '\(key)' = \"\(text)\" is not \"builtin\", \"git+URL[?ref=…&rev=…]\" or \"path:DIR\"")
                }
                declaredInputs[key] = spec
                inputLocations[key] = document.location(of: ["inputs", key], element: text)
            }
        }
        inputs = declaredInputs

        func ownVariablesRefused(_ reader: TOMLTableReader) throws -> [String: String] {
            let env = try reader.variables("env") ?? [:]
            if let own = env.keys.sorted().first(where: Environment.isDevenvOwn) {
                throw reader.error(
                    "env", "\(own.debugDescription) in 'env' is devenv's own (DEVENV_… and __devenv… are)")
            }
            return env
        }
        /// The `packages` of a shell or a container, each as written and where.
        func packageRequests(_ reader: TOMLTableReader) throws -> [(
            request: PackageRequest, text: String, location: String
        )] {
            try (reader.strings("packages") ?? []).map { text in
                guard let request = PackageRequest(text) else {
                    throw document.error(
                        at: reader.path + ["packages"], element: text,
                        "'\(text)' is not a package (NAME, INPUT.NAME, NAME@VERSION or debian:SUITE/PACKAGE)")
                }
                guard request.debian != nil || declaredInputs[request.inputName] != nil else {
                    throw document.error(
                        at: reader.path + ["packages"], element: text,
                        "'\(text)' names the input '\(request.inputName)', which [inputs] does not declare")
                }
                return (request, text, document.location(of: reader.path + ["packages"], element: text))
            }
        }
        /// `${packages.NAME}` in each text (by its key) must be a package `holds` accepts.
        func refuseUnknownReferences(_ texts: [([String], String)], of holder: String, holds: (String) -> Bool)
            throws
        {
            for (path, text) in texts {
                if let name = Manifest.packageReferences(in: text).first(where: { !holds($0) }) {
                    throw document.error(at: path, Manifest.unknownReference(name, of: holder))
                }
            }
        }
        func shell(_ reader: TOMLTableReader) throws -> Shell {
            try reader.rejectUnknownKeys(["packages", "env", "hook", "aliases", "programs"])
            let requests = try packageRequests(reader)
            let packages = requests.map(\.request)
            let locations = Dictionary(requests.map { ($0.text, $0.location) }) { _, last in last }
            let made = Shell(
                packages: packages, env: try ownVariablesRefused(reader), hook: try reader.string("hook"),
                aliases: try reader.namedStrings("aliases", rule: ShellSyntax.aliasRule, isName: ShellSyntax.isAlias)
                    ?? [:],
                locations: locations,
                programs: try reader.namedStrings("programs", rule: Manifest.programRule, isName: ShellSyntax.isAlias)
                    ?? [:])
            // `${packages.NAME}` can only be a package the shell has.
            let texts =
                made.env.sorted(by: { $0.key < $1.key }).map { (["env", $0.key], $0.value) } + [
                    (["hook"], made.hook ?? "")
                ]
                + made.programs.sorted(by: { $0.key < $1.key }).map { (["programs", $0.key], $0.value) }
            try refuseUnknownReferences(texts.map { (reader.path + $0.0, $0.1) }, of: "the shell", holds: made.has)
            return made
        }
        var declaredShells: [String: Shell] = [:]
        declaredShells[Manifest.defaultShell] =
            try top.table("shell").map(shell) ?? Shell(packages: [], env: [:], hook: nil, aliases: [:])
        if let named = try top.table("shells") {
            for key in named.table.keys.sorted() {
                guard let reader = try named.table(key) else { continue }
                if key == Manifest.defaultShell {
                    throw named.error(key, "the shell 'default' is the one [shell] declares")
                }
                if key.hasPrefix(ContainerSpec.lockName("")) {
                    throw named.error(key, "shell names starting with 'container:' are the lock's, for images")
                }
                declaredShells[key] = try shell(reader)
            }
        }
        shells = declaredShells

        // `name = "command"`, or `name = { command = "…", needs = ["postgres"] }`.
        var checkTable: [String: String] = [:]
        if let table = try top.table("checks") {
            for key in table.table.keys {
                if case .table = table.table[key]! {
                    let check = try table.table(key)!
                    try check.rejectUnknownKeys(["command", "needs"])
                    checkTable[key] = try check.requiredString("command")
                    if let needs = try check.strings("needs"), !needs.isEmpty { checkNeeds[key] = needs }
                } else if case .string(let command) = table.table[key]! {
                    checkTable[key] = command
                } else {
                    throw table.error(
                        key, "'\(key)' in 'checks' must be a string or a table, not \(table.table[key]!.kind)")
                }
            }
        }
        checks = checkTable.keys.sorted {
            (document.line(of: ["checks", $0]) ?? 0, $0) < (document.line(of: ["checks", $1]) ?? 0, $1)
        }.map { ($0, checkTable[$0]!) }
        scripts = try top.stringTable("scripts") ?? [:]

        if let table = try top.table("services") {
            for key in table.table.keys.sorted() {
                guard let reader = try table.table(key) else { continue }
                let service = try Service.read(reader, name: key, shells: shells.mapValues(\.packages))
                services[key] = service
                // A kind's package is on its shell's PATH (psql and redis-cli with it), as if listed there.
                if let package = service.package,
                    shells[service.shell]?.packages.contains(where: { $0.name == package }) == false
                {
                    guard let request = PackageRequest(package), request.input == nil, request.debian == nil else {
                        throw reader.error("package", "'\(package)' is not a package of the set")
                    }
                    shells[service.shell]?.packages.append(request)
                    shells[service.shell]?.locations[package] = document.location(
                        of: reader.path + ["package"], element: package)
                }
            }
        }
        try checkServiceOrder(document)
        if let table = try top.table("containers") {
            for key in table.table.keys.sorted() {
                guard let reader = try table.table(key) else { continue }
                var container = try ContainerSpec.read(reader, name: key)
                let requests = try packageRequests(reader)
                for (_, text, location) in requests { container.locations[text] = location }
                // `${packages.NAME}` can only be a package the image has.
                let defaultShell = shells[Manifest.defaultShell]!
                let holds = { (name: String) -> Bool in
                    container.packages == nil ? defaultShell.has(name) : requests.contains { $0.request.name == name }
                }
                let texts =
                    container.cmd.map { (["cmd"], $0) } + container.entrypoint.map { (["entrypoint"], $0) }
                    + container.env.sorted(by: { $0.key < $1.key }).map { (["env", $0.key], $0.value) }
                try refuseUnknownReferences(texts.map { (reader.path + $0.0, $0.1) }, of: "the image", holds: holds)
                containers[key] = container
            }
        }
        // Checks and scripts run in the default shell: what they name must be among its packages.
        let runs =
            checks.map { (["checks", $0.name], $0.command) }
            + scripts.sorted { $0.key < $1.key }.map {
                (["scripts", $0.key], $0.value)
            }
        try refuseUnknownReferences(runs, of: "the shell", holds: shells[Manifest.defaultShell]!.has)
        for (check, needs) in checkNeeds.sorted(by: { $0.key < $1.key }) {
            for name in needs where services[name] == nil {
                throw document.error(
                    at: ["checks", check, "needs"], element: name, "'needs' names '\(name)', which is no service")
            }
        }
    }

    /// What the services export for their clients (`DATABASE_URL`, `REDIS_URL`, …), with their
    /// state in `serviceStates` (`.devenv/state`; an automatic port is picked there once).
    public func serviceExports(in serviceStates: String) throws -> [String: String] {
        var exports: [String: String] = [:]
        for name in services.keys.sorted() { exports.merge(try services[name]!.exports(in: serviceStates)) { $1 } }
        return exports
    }

    /// Each `after` names a service, and no service comes (through others) after itself.
    private func checkServiceOrder(_ document: TOMLDocument) throws {
        for name in services.keys.sorted() {
            for other in services[name]!.after where services[other] == nil || other == name {
                throw document.error(
                    at: ["services", name, "after"], element: other,
                    other == name
                        ? "'\(name)' cannot come after itself" : "'after' names '\(other)', which is no service")
            }
        }
        // Depth-first, without recursion: a service met again on the current path closes a cycle.
        var finished: Set<String> = []
        for start in services.keys.sorted() where !finished.contains(start) {
            var path: [String] = [start]
            var next: [[String]] = [services[start]!.after.sorted()]
            while let last = next.last {
                guard let other = last.first else {
                    finished.insert(path.removeLast())
                    next.removeLast()
                    continue
                }
                next[next.count - 1].removeFirst()
                if let index = path.firstIndex(of: other) {
                    let cycle = (path[index...] + [other]).joined(separator: " → ")
                    throw document.error(
                        at: ["services", path.last!, "after"], element: other, "services wait for each other: \(cycle)")
                }
                if finished.contains(other) { continue }
                path.append(other)
                next.append(services[other]!.after.sorted())
            }
        }
    }

    /// Reads a manifest from the bytes of `devenv.toml` (which must be UTF-8).
    public init(bytes data: Data, displayName: String) throws {
        do {
            self = try Manifest(parsing: TOMLInputCheck.text(of: data, file: displayName), file: displayName)
        } catch let error as TOMLError {
            throw ManifestError(error.description)
        }
    }
}
