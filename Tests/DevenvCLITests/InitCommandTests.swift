import DevenvBasics
import DevenvBuild
import DevenvProject
import Foundation
import TestSupport
import Testing

struct InitTests {
    @Test(arguments: ["go", "node", "python", "zig", "polyglot", "minimal"])
    func everyTemplateWritesAManifestAndLocksIt(_ template: String) throws {
        let dir = try TemporaryDirectory("init")
        let devenv = DevenvCLI(home: dir("home"))
        let result = try devenv("init", "--template", template, dir("app"))
        #expect(result.status == 0, "\(result.stderr)")
        let manifest = try String(contentsOfFile: dir("app/devenv.toml"), encoding: .utf8)
        #expect(manifest.hasPrefix("# "))
        #expect(try String(contentsOfFile: dir("app/.gitignore"), encoding: .utf8) == ".devenv/\n")
        let lock = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: dir("app/devenv.lock"))))
        #expect((lock as? [String: Any])?["version"] as? Int == 2)
        #expect(
            try runCommand(DevenvCLI.binary, ["status"], environment: devenv.environment, currentDirectory: dir("app"))
                .output.contains("up to date:  yes"))
        let again = try devenv("init", "--template", template, dir("app"))
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists; not overwriting it"))
    }

    static let templateFiles = [
        "go": ["devenv.toml", "go.mod", "main.go", "main_test.go"],
        "node": [
            "devenv.toml", "greeting.js", "index.js", "package-lock.json", "package.json", "test/greeting.test.js",
        ],
        "python": ["devenv.toml", "hello.py", "pyproject.toml", "tests/test_hello.py", "uv.lock"],
        "zig": ["build.zig", "devenv.toml", "src/main.zig"],
        "polyglot": [
            "api/go.mod", "api/main.go", "api/main_test.go", "devenv.toml", "justfile", "web/greeting.js",
            "web/index.js", "web/package-lock.json", "web/package.json", "web/test/greeting.test.js",
        ],
        "minimal": ["devenv.toml"],
    ]

    @Test func aTemplateIsAWorkingProjectAndNoExistingFileIsOverwritten() throws {
        let dir = try TemporaryDirectory("init")
        let devenv = DevenvCLI(home: dir("home"))
        for (template, files) in Self.templateFiles {
            #expect(try devenv("init", "--template", template, dir(template)).status == 0)
            let written = try dir.sh("cd \(template) && find . -type f | sed 's|^./||' | sort").split(separator: "\n")
            #expect(written.map(String.init) == (files + [".gitignore", "devenv.lock"]).sorted(), "\(template)")
        }
        // Files of the user stay as they are, links are not followed; what is missing is written.
        try dir.sh("mkdir mine && printf 'my module\\n' > mine/go.mod && ln -s ../victim mine/main.go")
        let result = try devenv("init", "--template", "go", dir("mine"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output.contains("wrote devenv.toml, main_test.go, devenv.lock in \(dir("mine")) (template go)"))
        #expect(result.output.contains("kept the existing go.mod, main.go"))
        #expect(try String(contentsOfFile: dir("mine/go.mod"), encoding: .utf8) == "my module\n")
        #expect(!FileManager.default.fileExists(atPath: dir("victim")))
        // Nor through a directory or a .gitignore that is a link.
        try dir.sh(
            "mkdir cloned elsewhere && ln -s ../elsewhere cloned/test && echo secret > key && ln -s ../key cloned/.gitignore"
        )
        let cloned = try devenv("init", "--template", "node", dir("cloned"))
        #expect(cloned.status == 0, "\(cloned.stderr)")
        #expect(cloned.output.contains("kept the existing test/greeting.test.js"))
        #expect(
            cloned.stderr.contains("warning: .gitignore is not a plain file; add .devenv/ to what git ignores yourself")
        )
        #expect(try dir.sh("ls elsewhere | wc -l") == "0")
        #expect(try String(contentsOfFile: dir("key"), encoding: .utf8) == "secret\n")
    }

    @Test func templatesAreListedAndGitignoreLinesAreNotDuplicated() throws {
        let dir = try TemporaryDirectory("init")
        let devenv = DevenvCLI(home: dir("home"))
        let list = try devenv("init", "--list-templates")
        #expect(
            list.output.split(separator: "\n").map { String($0.prefix { $0 != " " }) } == [
                "go", "minimal", "node", "polyglot", "python", "zig",
            ])
        try dir.sh("mkdir app && printf 'node_modules\\n.devenv/\\n' > app/.gitignore")
        #expect(try devenv("init", dir("app")).status == 0)
        #expect(try String(contentsOfFile: dir("app/.gitignore"), encoding: .utf8) == "node_modules\n.devenv/\n")
        let go =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir("app/devenv.lock"))))
            as! [String: Any]
        #expect((go["shells"] as? [String: Any])?["default"] != nil)
        #expect(try devenv("init", "--template", "rust", dir("other")).stderr.contains("unknown template 'rust'"))
    }
}
