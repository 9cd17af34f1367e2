import DevenvBuild
import DevenvFetch
import DevenvPackages
import DevenvStore
import Testing

struct PackageSetTests {
    static let tools = """
        [aliases]
        tool = "tool_2"

        [tool_1]
        version = "1.9.3"
        description = "A tool for testing, old line"
        homepage = "https://example.org/tool"
        license = "MIT"
        origin = "built by the tests"
        paths = ["bin"]
        env = { TOOL_HOME = "$out" }
        unpack = { strip = 1 }

        [tool_1.sources.x86_64-linux]
        url = "https://example.org/tool-1.9.3-x86_64.tar.gz"
        hash = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="

        [tool_2]
        version = "2.10.0"
        description = "A tool for testing, new line"
        homepage = "https://example.org/tool"
        license = "MIT"
        origin = "built by the tests"
        sources.x86_64-linux = { url = "https://example.org/tool-2.10.0.whl", hash = "00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq" }
        sources.aarch64-darwin = { url = "https://example.org/tool-2.10.0-mac.whl", hash = "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" }

        [wrapper]
        version = "1"
        description = "Wraps the tool"
        homepage = "https://example.org/wrapper"
        license = "MIT"
        origin = "this recipe"
        dependencies = ["tool"]
        build-env = { GREETING = "hi" }
        script = '''
        mkdir -p $out/bin
        '''
        """

    func set(_ extra: String = "") throws -> PackageSet {
        try PackageSet(files: ["tools.toml": Self.tools + extra])
    }

    @Test func recipesAliasesAndFamiliesAreRead() throws {
        let packages = try set()
        #expect(packages.recipes.keys.sorted() == ["tool_1", "tool_2", "wrapper"])
        let tool = try packages.recipe("tool")
        #expect(tool.name == "tool_2")
        #expect(tool.family == "tool")
        #expect(tool.systems == ["aarch64-darwin", "x86_64-linux"])
        #expect(tool.paths == ["bin"])
        #expect(tool.unpack == UnpackOptions())
        #expect(try packages.recipe("tool_1").environment == ["TOOL_HOME": "$out"])
        #expect(try packages.recipe("tool_1").unpack == UnpackOptions(strip: 1))
        #expect(packages.versions(of: "tool").map(\.version) == ["1.9.3", "2.10.0"])
        #expect(packages.aliases(of: "tool_2") == ["tool"])
        #expect(packages.search("testing new").map(\.name) == ["tool_2"])
        #expect(packages.search("TOOL").map(\.name) == ["tool_1", "tool_2", "wrapper"])
        #expect(packages.search("").count == 3)
    }

    @Test func derivationsResolveSourcesAndDependenciesForASystem() throws {
        let packages = try set()
        let wrapper = try packages.derivation("wrapper", system: "x86_64-linux")
        #expect(wrapper.dependencies.map(\.name) == ["tool_2"])
        #expect(wrapper.dependencies[0].sources.map(\.url) == ["https://example.org/tool-2.10.0.whl"])
        #expect(wrapper.environment == ["GREETING": "hi"])
        #expect(wrapper.sources.isEmpty)
        #expect(try packages.derivation("tool", system: "aarch64-darwin").sources[0].url.hasSuffix("mac.whl"))
        #expect(throws: PackageError("tool_1 is not available for aarch64-darwin (it is for x86_64-linux)")) {
            try packages.derivation("tool_1", system: "aarch64-darwin")
        }
    }

    @Test func unknownNamesSuggestNearOnes() throws {
        let packages = try set()
        #expect(throws: PackageError("unknown package 'tol_2'; did you mean 'tool_2' or 'tool_1'?")) {
            try packages.recipe("tol_2")
        }
        #expect(throws: PackageError("unknown package 'wraper'; did you mean 'wrapper'?")) {
            try packages.recipe("wraper")
        }
        #expect(throws: PackageError("unknown package 'zzzzzz'")) { try packages.recipe("zzzzzz") }
    }

    @Test(arguments: [
        ("\n[extra]\nversion = 1\n", "tools.toml:39:1: 'version' in 'extra' must be a string, not an integer"),
        ("\n[tool_3]\nversoin = \"1\"\n", "tools.toml:39:1: unknown key 'versoin' in 'tool_3'"),
        ("\n[tool_3]\nversion = \"1\"\n", "tools.toml:38:1: 'description' is missing in 'tool_3'"),
        ("\n[broken\n", "tools.toml:38:8: Error while parsing table header"),
        (
            "\n[tool_2.sources.riscv64-linux]\nurl = \"x\"\nhash = \"md5-nope\"\n",
            "tools.toml:40:1: hash 'md5-nope' is not a valid md5 digest"
        ),
        (
            "\n[loop]\nversion = \"1\"\ndescription = \"d\"\nhomepage = \"h\"\nlicense = \"l\"\norigin = \"o\"\ndependencies = [\"loop\"]\nscript = \"true\"\n",
            "cycle: loop → loop"
        ),
        (
            "\n[needy]\nversion = \"1\"\ndescription = \"d\"\nhomepage = \"h\"\nlicense = \"l\"\norigin = \"o\"\ndependencies = [\"nothing\"]\nscript = \"true\"\n",
            "package 'needy' depends on 'nothing', which is not a package"
        ),
        ("\n[aliases2]\n", "'version' is missing in 'aliases2'"),
        (
            "\n[deb]\nversion = \"1\"\ndescription = \"d\"\nhomepage = \"h\"\nlicense = \"l\"\norigin = \"o\"\ndebian = \"trixie/../jq\"\n",
            "debian must be SUITE/PACKAGE (like \"trixie/jq\"), not \"trixie/../jq\""
        ),
        (
            "\n[deb]\nversion = \"1\"\ndescription = \"d\"\nhomepage = \"h\"\nlicense = \"l\"\norigin = \"o\"\ndebian = \"trixie/jq\"\nlinks = { \"../../etc/x\" = \"/usr/bin/jq\" }\n",
            "tools.toml:45:11: link \"../../etc/x\" → \"/usr/bin/jq\" must be a path inside the output"
        ),
        (
            "\n[deb]\nversion = \"1\"\ndescription = \"d\"\nhomepage = \"h\"\nlicense = \"l\"\norigin = \"o\"\ndebian = \"trixie/jq\"\nlinks = { \"usr/bin/cc\" = \"/usr/bin/$(id)\" }\n",
            "link \"usr/bin/cc\" → \"/usr/bin/$(id)\" must be"
        ),
        (
            "\n[deb]\nversion = \"1\"\ndescription = \"d\"\nhomepage = \"h\"\nlicense = \"l\"\norigin = \"o\"\ndebian = \"trixie/jq\"\ndebian-with = [\"libc6-dev;ls\"]\n",
            "\"libc6-dev;ls\" in 'debian-with' is not a Debian package name"
        ),
        (
            "\n[deb]\nversion = \"1\"\ndescription = \"d\"\nhomepage = \"h\"\nlicense = \"l\"\norigin = \"o\"\nscript = \"true\"\ndebian-with = [\"libc6-dev\"]\n",
            "'debian-with' needs 'debian'"
        ),
        (
            "\n[tool_3.unpack]\nstrip = \"one\"\n",
            "tools.toml:39:1: 'strip' in 'tool_3.unpack' must be an integer, not a string"
        ),
    ])
    func mistakesAreReportedWithTheirPlace(_ extra: String, _ message: String) throws {
        let error = #expect(throws: PackageError.self) { try set(extra) }
        #expect(error?.description.contains(message) == true, "actual: \(error?.description ?? "no error")")
    }

    @Test func debianRecipesAreResolvedWhenLockedAndUnavailableOnesAreSaidToBe() throws {
        let packages = try set(
            """

            [jq]
            version = "1.7.1"
            description = "JSON processor"
            homepage = "h"
            license = "l"
            origin = "o"
            debian = "trixie/jq"

            [tool_16]
            version = "16"
            description = "tool_16 (not available)"
            homepage = ""
            license = ""
            origin = "none"
            unavailable = "nobody has tool 16; available: tool_1, tool_2"
            """)
        let jq = try packages.recipe("jq")
        #expect(jq.debian?.suite == "trixie" && jq.debian?.package == "jq")
        #expect(jq.systems == ["aarch64-linux", "x86_64-linux"])
        let notDerived = #expect(throws: PackageError.self) { try packages.derivation("jq", system: "x86_64-linux") }
        #expect(notDerived?.description.contains("debian:trixie/jq") == true)
        let unavailable = #expect(throws: PackageError.self) {
            try packages.derivation("tool_16", system: "x86_64-linux")
        }
        #expect(unavailable?.description == "tool_16 is not available: nobody has tool 16; available: tool_1, tool_2")
        #expect(packages.versions(of: "tool").map(\.name) == ["tool_1", "tool_2"])
        #expect(packages.search("tool").allSatisfy { $0.name != "tool_16" })
    }

    @Test func theBuiltinSetHasTheToolchains() throws {
        let packages = PackageSet.builtin
        let required = [
            "nodejs_20", "nodejs_22", "nodejs_24", "go_1_22", "go_1_23", "go_1_24", "go_1_25", "go_1_26", "go_1_27",
            "zig",
            "cmake", "ninja", "uv", "ruff", "shellcheck", "deno", "just", "go_task", "hello",
        ]
        for name in required {
            let recipe = try packages.recipe(name)
            #expect(!recipe.description.isEmpty && !recipe.license.isEmpty && !recipe.origin.isEmpty, "\(name)")
            if name != "hello" {
                #expect(recipe.sources["x86_64-linux"]?.hash.algorithm == .sha256, "\(name)")
                #expect(
                    recipe.sources.values.allSatisfy { $0.url.hasPrefix("https://files.pythonhosted.org/") }, "\(name)")
            }
            if name != "hello" {
                // Debian's packages stand in as empty derivations (they are resolved when locked).
                let derivation = try packages.derivation(name, system: "x86_64-linux") { recipe in
                    Derivation(name: recipe.name, version: recipe.version, system: "x86_64-linux", sources: [])
                }
                #expect(derivation.name == name)
                // Dynamically linked programs run on the store's C library, on Linux only.
                let relocated = ["nodejs_20", "nodejs_22", "nodejs_24", "cmake", "ninja", "uv", "ruff", "deno", "just"]
                #expect(
                    derivation.dependencies.map(\.name) == (relocated.contains(name) ? ["cxx_runtime"] : []), "\(name)")
                #expect((derivation.relocation != 0) == relocated.contains(name), "\(name)")
                if recipe.sources["x86_64-darwin"] != nil {
                    let darwin = try packages.derivation(name, system: "x86_64-darwin")
                    #expect(darwin.dependencies.isEmpty && darwin.relocation == 0, "\(name)")
                }
            }
        }
        #expect(try packages.recipe("go").name == "go_1_27")
        #expect(try packages.recipe("nodejs").name == "nodejs_24")
        #expect(try packages.recipe("go-task").name == "go_task")
        #expect(try packages.recipe("go_1_24").environment["GOROOT"] == "$out")
        // hello is built hermetically with Debian's compiler, resolved when it is locked.
        let hello = try packages.recipe("hello")
        #expect(hello.hermetic && hello.dependencies == ["gcc", "gnumake", "coreutils", "bash"])
        #expect(throws: PackageError.self) { try packages.derivation("hello", system: "x86_64-linux") }
    }

    @Test func theBuiltinSetNamesDebiansPackages() throws {
        let packages = PackageSet.builtin
        let named = [
            "python311": "bookworm/python3", "python313": "trixie/python3", "postgresql_15": "bookworm/postgresql-15",
            "postgresql_17": "trixie/postgresql-17", "redis": "trixie/redis-server", "git_unwrapped": "trixie/git",
            "gnumake": "trixie/make", "sqlite": "trixie/sqlite3", "typescript_modules": "trixie/node-typescript",
        ]
        for (name, debian) in named { #expect(try packages.recipe(name).debian?.description == debian, "\(name)") }
        for name in [
            "valkey", "rustc", "cargo", "ripgrep", "fzf", "bat", "neovim_unwrapped", "tmux_unwrapped", "jq", "cowsay",
            "delve",
            "kubectl",
            "docker-compose", "eslint_modules", "gcc", "patchelf", "curl",
        ] {
            #expect(try packages.recipe(name).debian?.suite == "trixie", "\(name)")
        }
        #expect(try packages.recipe("python3").name == "python313")
        #expect(try packages.recipe("git").environment["GIT_EXEC_PATH"] == "$out/usr/lib/git-core")
        // The shells their scripts' #! lines name (Debian's are Essential: nothing depends on them).
        #expect(try packages.recipe("git_unwrapped").debianWith == ["dash"])
        #expect(try packages.recipe("fzf").debianWith == ["bash"])
        // What Debian's maintainer scripts and alternatives would make, and what gcc is no use without.
        #expect(try packages.recipe("gcc").links["usr/bin/cc"] == "/usr/bin/gcc")
        #expect(try packages.recipe("gcc").debianWith == ["libc6-dev", "dash", "g++"])
        #expect(try packages.recipe("gcc").links["usr/bin/c++"] == "/usr/bin/g++")
        #expect(try packages.recipe("bat").links == ["usr/bin/bat": "/usr/bin/batcat"])
        // eslint's default formatter and YAML configurations load what Debian only recommends.
        #expect(
            try packages.recipe("eslint_modules").debianWith == [
                "node-chalk", "node-js-yaml", "node-strip-ansi", "node-text-table",
            ])
        // Debian's Node programs run on the set's node (Debian's finds builtins under /usr/share/nodejs).
        for name in ["typescript", "eslint"] {
            let recipe = try packages.recipe(name)
            #expect(recipe.hermetic && recipe.dependencies.prefix(2) == ["nodejs_24", "\(name)_modules"], "\(name)")
        }
        // tmux gets the store's C.UTF-8 where the host has no locales, and these the store's iconv modules.
        let tmux = try packages.recipe("tmux")
        #expect(tmux.hermetic && tmux.dependencies == ["tmux_unwrapped", "libc_bin_unwrapped", "dash", "coreutils"])
        #expect(tmux.script?.contains("LOCPATH") == true)
        for name in ["git", "neovim", "libc_bin"] {
            let recipe = try packages.recipe(name)
            #expect(recipe.hermetic && recipe.dependencies == ["\(name)_unwrapped", "dash", "coreutils"], "\(name)")
            #expect(recipe.script?.contains("GCONV_PATH") == true, "\(name)")
        }
        #expect(try packages.recipe("golangci-lint").unavailable?.isEmpty == false)
        // PostgreSQL 16 is PyPI's wheel of bookworm-built programs, relocated onto bookworm's libraries.
        let postgresql16 = try packages.recipe("postgresql_16")
        #expect(postgresql16.unavailable == nil && postgresql16.relocateOnto == ["pg_wheel_libraries"])
        #expect(postgresql16.sources.keys.sorted() == ["aarch64-linux", "x86_64-linux"])
        #expect(try packages.recipe("pg_wheel_libraries").debian?.description == "bookworm/libssl3")
        #expect(packages.versions(of: "postgresql").map(\.name) == ["postgresql_15", "postgresql_16", "postgresql_17"])
    }

    /// `count` recipes, each depending on the next one's (`width`: how many of the next level).
    static func chain(_ count: Int, width: Int = 1) -> String {
        (0..<count).map { level in
            (0..<width).map { copy in
                let next = level + 1 < count ? (0..<width).map { "\"p\(level + 1)_\($0)\"" } : []
                return """
                    [p\(level)_\(copy)]
                    version = "1"
                    description = "d"
                    homepage = "h"
                    license = "l"
                    origin = "o"
                    script = "mkdir $out"
                    dependencies = [\(next.joined(separator: ", "))]

                    """
            }.joined()
        }.joined()
    }

    @Test func dependencyChainsAreBoundedInDepthAndUnfoldedSize() throws {
        #expect(throws: PackageError.self) { try PackageSet(files: ["set.toml": Self.chain(10_000)]) }
        let deep = #expect(throws: PackageError.self) { try PackageSet(files: ["set.toml": Self.chain(100)]) }
        #expect(
            deep?.description.hasPrefix("package 'p0_0' depends through more than 64 levels (p0_0 → p1_0 → … →") == true
        )
        // Named so that the deepest sorts first: each recipe is done before the one above it.
        let renamed = (0..<100).reduce(Self.chain(100)) { text, level in
            text.replacingOccurrences(of: "p\(level)_0\"", with: "q\(String(format: "%03d", 100 - level))\"")
                .replacingOccurrences(of: "[p\(level)_0]", with: "[q\(String(format: "%03d", 100 - level))]")
        }
        let upward = #expect(throws: PackageError.self) { try PackageSet(files: ["set.toml": renamed]) }
        #expect(
            upward?.description.contains("depends through more than 64 levels") == true, "\(String(describing: upward))"
        )
        #expect(
            try PackageSet(files: ["set.toml": Self.chain(64)]).derivation("p0_0", system: "x86_64-linux").name
                == "p0_0")
        let wide = #expect(throws: PackageError.self) { try PackageSet(files: ["set.toml": Self.chain(20, width: 2)]) }
        #expect(wide?.description.hasSuffix("derivations with its dependencies") == true)
        // What real sets need is well within, and a diamond resolves each package once.
        let fine = try PackageSet(files: ["set.toml": Self.chain(12, width: 2)])
        let top = try fine.derivation("p0_0", system: "x86_64-linux")
        #expect(top.dependencies.count == 2 && top.dependencies[0].dependencies.count == 2)
    }
}
