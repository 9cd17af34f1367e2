import Foundation
import TestSupport

/// A project whose package set is a `path:` input: `hello_1` (1.0) and `hello_2` (2.1.3), each a
/// tarball served by a loopback server with `bin/hello` printing its version.
final class ProjectFixture: @unchecked Sendable {
    let dir: TemporaryDirectory
    let server: HTTPServer
    let devenv: DevenvCLI

    static let manifest = """
        [project]
        name = "demo"

        [inputs]
        pkgs = "path:../pkgs"

        [shell]
        packages = ["hello_2"]
        env = { GREETING = "hi from $DEVENV_ROOT", LITERAL = "$$HOME", DERIVED = "${HELLO_HOME}/bin" }
        hook = '''
        export FROM_HOOK=yes
        echo "hook ran"
        '''

        [shells.old]
        packages = ["hello@1"]

        [checks]
        greets = "hello | grep -q 2.1.3"
        hook-ran = "test \\"$FROM_HOOK\\" = yes"

        [scripts]
        say = "hello"
        args = "printf '%s|'"
        """

    init(manifest: String = ProjectFixture.manifest) throws {
        dir = try TemporaryDirectory("project")
        try dir.sh("mkdir -p served pkgs proj/sub/deeper home")
        server = try HTTPServer(root: dir("served"))
        devenv = DevenvCLI(home: dir("home"), environment: ["CI": "true"])
        try publish("hello_1", version: "1.0")
        try publish("hello_2", version: "2.1.3")
        try manifest.write(toFile: dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
    }

    /// Serves a tarball of `name` at `version` and writes its recipe into the package set.
    func publish(_ name: String, version: String, systems: [String] = ["x86_64-linux"]) throws {
        try dir.sh(
            """
            rm -rf build && mkdir -p build/\(name)-\(version)/bin
            printf '#!/bin/sh\\necho "hello \(version)"\\n' > build/\(name)-\(version)/bin/hello
            chmod 755 build/\(name)-\(version)/bin/hello
            tar -C build -czf served/\(name)-\(version).tar.gz \(name)-\(version)
            """)
        let hash = try dir.sh("sha256sum served/\(name)-\(version).tar.gz | cut -d' ' -f1")
        let sources = systems.map {
            "sources.\($0) = { url = \"\(server.url("\(name)-\(version).tar.gz"))\", hash = \"sha256:\(hash)\" }"
        }.joined(separator: "\n")
        try """
        [\(name)]
        version = "\(version)"
        description = "Says hello (\(version))"
        homepage = "https://example.org/hello"
        license = "MIT"
        origin = "made by the tests"
        unpack = { strip = 1 }
        env = { HELLO_HOME = "$out" }
        \(sources)
        """.write(toFile: dir("pkgs/\(name).toml"), atomically: true, encoding: .utf8)
    }

    /// Runs devenv in `directory` (default: the project).
    func run(_ arguments: String..., in directory: String? = nil, environment extra: [String: String] = [:])
        throws -> CommandResult
    {
        try runCommand(
            DevenvCLI.binary, arguments, environment: devenv.environment.merging(extra) { _, new in new },
            currentDirectory: directory ?? dir("proj"))
    }

    var lockText: String { (try? String(contentsOfFile: dir("proj/devenv.lock"), encoding: .utf8)) ?? "" }
}

extension ProjectFixture {
    func run(_ arguments: [String], in directory: String? = nil, environment extra: [String: String] = [:]) throws
        -> CommandResult
    {
        try runCommand(
            DevenvCLI.binary, arguments, environment: devenv.environment.merging(extra) { _, new in new },
            currentDirectory: directory ?? dir("proj"))
    }

    func setPackages(_ packages: String) throws {
        try "[inputs]\npkgs = \"path:../pkgs\"\n[shell]\npackages = [\(packages)]\n"
            .write(toFile: dir("proj/devenv.toml"), atomically: true, encoding: .utf8)
    }
}
