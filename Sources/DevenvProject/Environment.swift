import DevenvBuild
import DevenvStore
import Foundation

/// A shell's environment for one system, as the lock pins it: the packages, and the derivation
/// of the environment's store path, whose `bin/` links every program of every package (the first
/// package to provide a name wins) so one PATH entry reaches them all.
public struct Environment: Sendable {
    public let shell: String
    public let system: String
    public let packages: [LockedPackage]
    public let derivation: Derivation

    public init(shell: String, system: String, packages: [LockedPackage]) {
        self.shell = shell
        self.system = system
        self.packages = packages
        var script = """
            mkdir -p "$out/bin"
            link() {
              for f in "$1"/*; do
                name=${f##*/}
                if [ -x "$f" ] && [ ! -d "$f" ] && [ ! -e "$out/bin/$name" ] && [ ! -L "$out/bin/$name" ]; then
                  ln -s "$f" "$out/bin/$name"
                fi
              done
            }
            set -- $DEVENV_DEPENDENCIES

            """
        for package in packages {
            for path in package.derivation.paths {
                script += "link \"$1\(path == "." || path.isEmpty ? "" : "/" + path)\"\n"
            }
            script += "shift\n"
        }
        derivation = Derivation(
            name: "devenv-env", version: "", system: system, sources: [],
            dependencies: packages.map(\.derivation), script: script, paths: ["bin"])
    }

    /// The packages' variables with `$out` (and `${out}`) replaced by each one's output path, in
    /// package order (a later package's value for the same name wins).
    public var packageVariables: [(name: String, value: String)] {
        packages.flatMap { package in
            package.environment.sorted { $0.key < $1.key }.map { name, value in
                (
                    name,
                    value.replacingOccurrences(of: "${out}", with: package.outPath).replacingOccurrences(
                        of: "$out", with: package.outPath)
                )
            }
        }
    }
}

extension Lockfile {
    /// The environment of `shell` on `system`, or an error when the lock has none.
    public func environment(shell: String, system: String) throws -> Environment {
        guard let systems = shells[shell] else {
            throw ProjectError("devenv.lock has no shell '\(shell)'; run `devenv lock`")
        }
        guard let packages = systems[system] else {
            throw ProjectError(
                "devenv.lock has no packages for \(system) (it covers \(systems.keys.sorted().joined(separator: ", "))); add it to [project].systems"
            )
        }
        return Environment(shell: shell, system: system, packages: packages)
    }
}
