import DevenvBasics
import DevenvBuild
import DevenvPackages
import DevenvStore
import Foundation

/// A shell's environment for one system, as the lock pins it: the packages, and the derivation
/// of the environment's store path, whose `bin/` links every program of every package (the first
/// package to provide a name wins) so one PATH entry reaches them all. Its `lib/` links each
/// Python standard library found beside a package's `bin` (`lib/python3.N` with `os.py`), as a
/// Nix profile does: a venv made with the environment's `python3` looks for it there.
public struct Environment: Sendable {
    public let shell: String
    public let system: String
    public let packages: [LockedPackage]
    public let derivation: Derivation

    /// With `wrapped`, a program of a package that sets variables is not linked but wrapped: a
    /// script that sets them and runs it (what the profile needs, where no shell applies them).
    public init(shell: String, system: String, packages: [LockedPackage], wrapped: Bool = false) {
        self.shell = shell
        self.system = system
        self.packages = packages
        var script = """
            mkdir -p "$out/bin"
            # place PROGRAM [VARIABLE-LINES]: links the program, or writes a wrapper setting them.
            place() {
              name=${1##*/}
              case $name in *"'"*) return ;; esac
              if [ -x "$1" ] && [ ! -d "$1" ] && [ ! -e "$out/bin/$name" ] && [ ! -L "$out/bin/$name" ]; then
                if [ -z "$2" ]; then
                  ln -s "$1" "$out/bin/$name"
                else
                  printf '#!/bin/sh\\n%s\\nexec %s "$@"\\n' "$2" "'$1'" > "$out/bin/$name"
                  chmod 555 "$out/bin/$name"
                fi
              fi
            }
            # placelibrary DIRECTORY: links a Python standard library into lib/.
            placelibrary() {
              if [ -f "$1/os.py" ] && [ ! -e "$out/lib/${1##*/}" ] && [ ! -L "$out/lib/${1##*/}" ]; then
                mkdir -p "$out/lib" && ln -s "$1" "$out/lib/${1##*/}"
              fi
            }
            set -- $DEVENV_DEPENDENCIES

            """
        for package in packages {
            // The wrapper's lines as one sh word in which "$1" (the package's output path, which
            // holds no quote) stands where the values have `$out`.
            let marker = "\u{0}out\u{0}"
            let lines =
                wrapped
                ? package.environment.sorted { $0.key < $1.key }.map { name, value in
                    "export \(name)=" + ShellSyntax.posixQuoted(Environment.substitutingOut(in: value, with: marker))
                }.joined(separator: "\n") : ""
            let word = lines.components(separatedBy: marker).map(ShellSyntax.posixQuoted).joined(separator: "\"$1\"")
            script += "variables=\(word)\n"
            for path in package.derivation.paths {
                script +=
                    "for f in \"$1\(path == "." || path.isEmpty ? "" : "/" + path)\"/*; do place \"$f\" \"$variables\"; done\n"
                if let prefix = Environment.prefix(ofProgramDirectory: path) {
                    script += "for d in \"$1\(prefix)/lib\"/python3.*; do placelibrary \"$d\"; done\n"
                }
            }
            script += "shift\n"
        }
        derivation = Derivation(
            name: "devenv-env", version: "", system: system, sources: [],
            dependencies: packages.map(\.derivation), script: script, paths: ["bin"])
    }

    /// The directory a `bin` directory sits in (`""` for `bin`, `/usr` for `usr/bin`), or nil.
    static func prefix(ofProgramDirectory path: String) -> String? {
        let components = path.split(separator: "/")
        guard components.last == "bin" else { return nil }
        return components.dropLast().map { "/" + $0 }.joined()
    }

    static func substitutingOut(in value: String, with path: String) -> String {
        value.replacingOccurrences(of: "${out}", with: path).replacingOccurrences(of: "$out", with: path)
    }

    /// Whether `name` is one of devenv's own variables (`DEVENV_ROOT`, the hook's `DEVENV_UNLOAD`,
    /// its functions' `__devenv_…`), which no manifest or lock may set.
    public static func isDevenvOwn(_ name: String) -> Bool {
        name.hasPrefix("DEVENV_") || name.hasPrefix("__devenv")
    }

    /// The packages' variables with `$out` (and `${out}`) replaced by each one's output path, in
    /// package order (a later package's value for the same name wins).
    public var packageVariables: [(name: String, value: String)] {
        packages.flatMap { package in
            package.environment.sorted { $0.key < $1.key }.map { name, value in
                (name, Environment.substitutingOut(in: value, with: package.outPath))
            }
        }
    }
}

extension Lockfile {
    /// The environment of `shell` on `system` (`wrapped`: see `Environment`), or an error when the lock has none.
    public func environment(shell: String, system: String, wrapped: Bool = false) throws -> Environment {
        guard let systems = shells[shell] else {
            throw ProjectError("devenv.lock has no shell '\(shell)'; run `devenv lock`")
        }
        guard let packages = systems[system] else {
            throw ProjectError(
                "devenv.lock has no packages for \(system) (it covers \(systems.keys.sorted().joined(separator: ", "))); add it to [project].systems"
            )
        }
        return Environment(shell: shell, system: system, packages: packages, wrapped: wrapped)
    }

    /// The environment of `shell` on `system` with the shell's own programs, which `manifest`
    /// gives (the lock pins only packages), in front of the packages: a program wins its name.
    public func environment(
        shell: String, system: String, manifest: Manifest, store: StoreDirectory, wrapped: Bool = false
    ) throws -> Environment {
        let locked = try environment(shell: shell, system: system, wrapped: wrapped)
        let programs = try manifest.shell(shell).programs
        guard !programs.isEmpty else { return locked }
        var script = "mkdir -p \"$out/bin\"\n"
        var texts: [String] = []
        for (name, text) in programs.sorted(by: { $0.key < $1.key }) {
            let resolved = Manifest.resolvingPackageReferences(in: text, packages: locked.packages)
            texts.append(resolved)
            let file = "\"$out/bin/\"" + ShellSyntax.posixQuoted(name)
            script += "printf '%s\\n%s\\n' '#!/usr/bin/env bash' \(ShellSyntax.posixQuoted(resolved)) > \(file)\n"
            script += "chmod 555 \(file)\n"
        }
        // The packages whose store paths the programs name are what their output refers to.
        let named = locked.packages.filter { package in texts.contains { $0.contains(package.outPath) } }
        let derivation = Derivation(
            name: "devenv-programs", version: "", system: system, sources: [],
            dependencies: named.map(\.derivation), script: script, paths: ["bin"])
        let programsPackage = LockedPackage(
            request: Manifest.programsPackage, input: "", derivation: derivation,
            outPath: store.fullPath(of: try derivation.outputPath(in: store)), narHash: nil, environment: [:])
        return Environment(
            shell: shell, system: system, packages: [programsPackage] + locked.packages, wrapped: wrapped)
    }
}

extension Environment {
    /// Programs that more than one package provides, once the packages are realized: which
    /// package's program the environment has (the first's) and which it does not.
    public struct Conflict: Equatable, Sendable {
        public var used: String
        public var shadowed: String
        public var programs: [String]
    }

    /// What the environment links: an executable that is not a directory (as its builder checks).
    public static func isProgram(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.isExecutableFile(atPath: path)
            && FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Each program the environment links, by name, at its path in its package (the first
    /// package to have a name wins), once the packages are realized.
    public var programs: [String: String] {
        var found: [String: String] = [:]
        for package in packages {
            for directory in package.derivation.searchPath(at: package.outPath) {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: directory).sorted()) ?? []
                where found[name] == nil && Environment.isProgram(directory + "/" + name) {
                    found[name] = directory + "/" + name
                }
            }
        }
        return found
    }

    public var conflicts: [Conflict] {
        var provider: [String: String] = [:]
        var found: [Conflict] = []
        for package in packages {
            var shadowedBy: [String: [String]] = [:]
            for directory in package.derivation.searchPath(at: package.outPath) {
                for program in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                where Environment.isProgram(directory + "/" + program) {
                    if let first = provider[program], first != package.name {
                        shadowedBy[first, default: []].append(program)
                    } else {
                        provider[program] = package.name
                    }
                }
            }
            found += shadowedBy.sorted { $0.key < $1.key }.map {
                Conflict(used: $0.key, shadowed: package.name, programs: $0.value.sorted())
            }
        }
        return found
    }
}
