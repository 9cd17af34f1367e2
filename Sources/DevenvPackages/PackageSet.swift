import DevenvBasics
import DevenvBuild
import DevenvFetch
import DevenvStore
import Foundation

/// A collection of recipes (like nixpkgs), with aliases; read from TOML files
/// (docs/packages.md). The default set is embedded in the binary (`builtin`).
public struct PackageSet: Sendable {
    public let recipes: [String: Recipe]
    /// Alias → package name (`go` → `go_1_27`).
    public let aliases: [String: String]

    /// The set embedded at build time from the repository's `packages/` folder.
    public static let builtin: PackageSet = {
        do {
            return try PackageSet(files: EmbeddedFiles.files.filter { $0.key.hasSuffix(".toml") })
        } catch {
            fatalError("the embedded package set is invalid: \(error)")
        }
    }()

    /// Reads the set of every `*.toml` file in `directory`.
    public init(directory: String) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".toml") }
        } catch {
            throw PackageError("cannot read the package set '\(directory)': \(error.localizedDescription)")
        }
        var files: [String: String] = [:]
        for name in names {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw PackageError("cannot read '\(path)'")
            }
            do {
                files[path] = try TOMLInputCheck.text(of: data, file: path)
            } catch let error as TOMLError {
                throw PackageError(error.description)
            }
        }
        try self.init(files: files)
    }

    /// Reads a set from TOML files (name → text); names are used in error messages.
    public init(files: [String: String]) throws {
        do {
            try self.init(reading: files)
        } catch let error as TOMLError {
            throw PackageError(error.description)
        }
    }

    private init(reading files: [String: String]) throws {
        var recipes: [String: Recipe] = [:]
        var aliases: [String: String] = [:]
        var documents: [String: TOMLDocument] = [:]
        for (file, text) in files.sorted(by: { $0.key < $1.key }) {
            let document = try TOMLDocument(file: file, text: text)
            documents[file] = document
            for (key, node) in document.root.sorted(by: { $0.key < $1.key }) {
                guard case .table(let table) = node else {
                    throw document.error(at: [key], "'\(key)' must be a table (a package or [aliases])")
                }
                let reader = TOMLTableReader(document, path: [key], table: table)
                if key == "aliases" {
                    for alias in table.keys.sorted() {
                        guard case .string(let target) = table[alias]! else {
                            throw reader.error(alias, "alias '\(alias)' must name a package as a string")
                        }
                        aliases[alias] = target
                    }
                    continue
                }
                if recipes[key] != nil { throw document.error(at: [key], "package '\(key)' is defined twice") }
                recipes[key] = try PackageSet.recipe(named: key, from: reader)
            }
        }
        for (alias, target) in aliases where recipes[target] == nil {
            throw PackageError("alias '\(alias)' names '\(target)', which is not a package")
        }
        for recipe in recipes.values {
            for dependency in recipe.allDependencies where recipes[dependency] == nil && aliases[dependency] == nil {
                throw PackageError("package '\(recipe.name)' depends on '\(dependency)', which is not a package")
            }
        }
        self.recipes = recipes
        self.aliases = aliases
        try checkForCycles()
    }

    static let recipeKeys: Set<String> = [
        "version", "description", "homepage", "license", "origin", "sources", "unpack", "script", "dependencies",
        "build-env", "paths", "env", "links", "debian", "debian-with", "unavailable", "hermetic", "relocate-onto",
    ]

    private static func recipe(named name: String, from reader: TOMLTableReader) throws -> Recipe {
        guard let first = name.unicodeScalars.first, CharacterSet.letters.contains(first),
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else {
            throw reader.document.error(
                at: [name], "package name '\(name)' must be a letter followed by letters, digits, '_' or '-'")
        }
        try reader.rejectUnknownKeys(recipeKeys)
        var sources: [String: Recipe.Source] = [:]
        if let table = try reader.table("sources") {
            for system in table.table.keys.sorted() {
                if let problem = CurrentSystem.problem(with: system) { throw table.error(system, problem) }
                guard let source = try table.table(system) else { continue }
                try source.rejectUnknownKeys(["url", "hash"])
                let hashText = try source.requiredString("hash")
                let hash: Hash
                do {
                    hash = try Hash(parsing: hashText, defaultAlgorithm: .sha256)
                } catch {
                    throw source.error("hash", "\(error)")
                }
                sources[system] = Recipe.Source(url: try source.requiredString("url"), hash: hash)
            }
        }
        var unpack: UnpackOptions? = UnpackOptions()
        if case .bool(false) = reader.table["unpack"] {
            unpack = nil
        } else if let options = try reader.table("unpack") {
            try options.rejectUnknownKeys(["strip", "subdir"])
            unpack = UnpackOptions(strip: try options.integer("strip") ?? 0, subdir: try options.string("subdir"))
        }
        let recipe = Recipe(
            name: name, version: try reader.requiredString("version"),
            description: try reader.requiredString("description"),
            homepage: try reader.requiredString("homepage"), license: try reader.requiredString("license"),
            origin: try reader.requiredString("origin"), sources: sources, unpack: unpack,
            script: try reader.string("script"),
            dependencies: try reader.strings("dependencies") ?? [], hermetic: try reader.bool("hermetic") ?? false,
            relocateOnto: try reader.strings("relocate-onto") ?? [],
            buildEnvironment: try reader.variables("build-env") ?? [:],
            paths: try reader.strings("paths") ?? (reader.table["debian"] == nil ? ["bin"] : []),
            environment: try reader.variables("env") ?? [:],
            links: try reader.stringTable("links") ?? [:],
            debian: try reader.string("debian").map { text in
                guard let reference = DebianSource.Reference(text) else {
                    throw reader.error(
                        "debian", "debian must be SUITE/PACKAGE (like \"trixie/jq\"), not \(text.debugDescription)")
                }
                return reference
            }, debianWith: try reader.strings("debian-with") ?? [], unavailable: try reader.string("unavailable"))
        if let path = recipe.paths.first(where: { !Derivation.isOutputDirectory($0) }) {
            throw reader.error(
                "paths",
                "\(path.debugDescription) in 'paths' is not a directory inside the output (like bin or lib/node/bin)")
        }
        if let (path, target) = recipe.links.sorted(by: { $0.key < $1.key }).first(where: {
            !Derivation.isLinkPath($0.key) || !Derivation.isLinkTarget($0.value)
        }) {
            throw reader.document.error(
                at: [name, "links", path],
                "link \(path.debugDescription) → \(target.debugDescription) must be a path inside the output (like usr/bin/cc) to a path of letters, digits and +-._/"
            )
        }
        if let wrong = recipe.debianWith.first(where: { !DebianDependency.isPackageName($0) }) {
            throw reader.error("debian-with", "\(wrong.debugDescription) in 'debian-with' is not a Debian package name")
        }
        if recipe.hermetic, recipe.script == nil {
            throw reader.error("hermetic", "'hermetic' needs a 'script'")
        }
        if !recipe.debianWith.isEmpty, recipe.debian == nil {
            throw reader.error("debian-with", "'debian-with' needs 'debian'")
        }
        if recipe.script == nil && recipe.sources.isEmpty && recipe.debian == nil && recipe.unavailable == nil {
            throw reader.document.error(at: [name], "package '\(name)' needs sources or a script")
        }
        return recipe
    }

    /// How long a chain of dependencies may be, and how many derivations a package may unfold
    /// to with its dependencies: a set can come from any repository, each level is a call deeper
    /// (and two levels deeper in the lock, which records every dependency in full, once per use).
    public static let maximumDependencyDepth = 64
    public static let maximumUnfoldedSize = 10_000

    private func checkForCycles() throws {
        var state: [String: Bool] = [:]  // false: visiting, true: done
        var unfolded: [String: Int] = [:]
        // The longest chain down from each recipe done, itself included: a recipe visited after
        // its dependencies (in name order) is as deep as the chain below it.
        var levels: [String: Int] = [:]
        func tooDeep(_ chain: [String]) -> PackageError {
            PackageError(
                "package '\(chain[0])' depends through more than \(PackageSet.maximumDependencyDepth) levels (\(chain.prefix(2).joined(separator: " → ")) → … → \(chain.last!))"
            )
        }
        func recipeName(_ name: String) -> String { aliases[name] ?? name }
        func visit(_ name: String, _ trail: [String]) throws {
            let name = recipeName(name)
            if state[name] == true {
                guard trail.count + levels[name, default: 1] <= PackageSet.maximumDependencyDepth else {
                    throw tooDeep(trail + [name])
                }
                return
            }
            if state[name] == false {
                throw PackageError(
                    "packages depend on each other in a cycle: \((trail + [name]).joined(separator: " → "))")
            }
            guard trail.count < PackageSet.maximumDependencyDepth else { throw tooDeep(trail + [name]) }
            state[name] = false
            let dependencies = recipes[name]?.allDependencies ?? []
            for dependency in dependencies { try visit(dependency, trail + [name]) }
            levels[name] = 1 + (dependencies.map { levels[recipeName($0), default: 1] }.max() ?? 0)
            let size = dependencies.reduce(1) { $0 + unfolded[recipeName($1), default: 1] }
            guard size <= PackageSet.maximumUnfoldedSize else {
                throw PackageError(
                    "package '\(name)' unfolds to more than \(PackageSet.maximumUnfoldedSize) derivations with its dependencies"
                )
            }
            unfolded[name] = size
            state[name] = true
        }
        for name in recipes.keys.sorted() { try visit(name, []) }
    }

    /// The recipe `name` (or the one an alias names); an unknown name is an error suggesting near ones.
    public func recipe(_ name: String) throws -> Recipe {
        if let recipe = recipes[aliases[name] ?? name] { return recipe }
        let suggestions = Suggestions.closest(to: name, among: Array(recipes.keys) + Array(aliases.keys))
        let hint =
            suggestions.isEmpty ? "" : "; did you mean \(suggestions.map { "'\($0)'" }.joined(separator: " or "))?"
        throw PackageError("unknown package '\(name)'\(hint)")
    }

    /// Recipes whose name or description contain every word of `query` (any case), sorted by
    /// name; unavailable ones are not found.
    public func search(_ query: String) -> [Recipe] {
        let query = SearchQuery(query)
        return recipes.values.filter {
            $0.unavailable == nil && query.matches("\($0.name) \($0.family) \($0.description)")
        }.sorted { $0.name < $1.name }
    }

    /// Every available recipe of `family` (`go` → go_1_22 … go_1_27), oldest version first.
    public func versions(of family: String) -> [Recipe] {
        recipes.values.filter { $0.family == family && $0.unavailable == nil }.sorted {
            $0.version.compare($1.version, options: .numeric) == .orderedAscending
        }
    }

    /// Aliases that name `package`.
    public func aliases(of package: String) -> [String] {
        aliases.filter { $0.value == package }.map(\.key).sorted()
    }

    /// An error for a recipe that is `unavailable`, with its reason.
    public static func checkAvailable(_ recipe: Recipe) throws {
        guard let reason = recipe.unavailable else { return }
        throw PackageError("\(recipe.name) is not available: \(reason)")
    }

    /// The derivation of `name` for `system`, its dependencies resolved the same way (each once);
    /// a recipe from Debian's archive (`debian`) by `debian`, or, without it, it is an error.
    public func derivation(
        _ name: String, system: String, debian: ((Recipe) throws -> Derivation)? = nil
    ) throws -> Derivation {
        var resolved: [String: Derivation] = [:]
        return try derivation(name, system: system, debian: debian, resolved: &resolved)
    }

    private func derivation(
        _ name: String, system: String, debian resolveDebian: ((Recipe) throws -> Derivation)?,
        resolved: inout [String: Derivation]
    ) throws -> Derivation {
        let recipe = try recipe(name)
        if let known = resolved[recipe.name] { return known }
        try PackageSet.checkAvailable(recipe)
        if let debian = recipe.debian {
            guard let resolveDebian else {
                throw PackageError(
                    "\(recipe.name) is debian:\(debian), resolved in Debian's index when a project (or `devenv shell`) locks it"
                )
            }
            let derivation = try resolveDebian(recipe)
            resolved[recipe.name] = derivation
            return derivation
        }
        var sources: [Derivation.Source] = []
        if !recipe.sources.isEmpty {
            guard let source = recipe.sources[system] else {
                throw PackageError(
                    "\(recipe.name) is not available for \(system) (it is for \(recipe.systems.joined(separator: ", ")))"
                )
            }
            sources = [Derivation.Source(url: source.url, hash: source.hash, unpack: recipe.unpack)]
        }
        // Prebuilt programs for Linux run on the store's C library; elsewhere nothing is relocated.
        let relocated = system.hasSuffix("-linux") && !recipe.relocateOnto.isEmpty
        var dependencies: [Derivation] = []
        for dependency in recipe.dependencies + (relocated ? recipe.relocateOnto : []) {
            dependencies.append(try derivation(dependency, system: system, debian: resolveDebian, resolved: &resolved))
        }
        let derivation = Derivation(
            name: recipe.name, version: recipe.version, system: system, sources: sources,
            dependencies: dependencies, script: recipe.script, environment: recipe.buildEnvironment,
            paths: recipe.paths, relocation: relocated ? Derivation.currentRelocation : 0, links: recipe.links,
            hermetic: recipe.hermetic)
        resolved[recipe.name] = derivation
        return derivation
    }
}
