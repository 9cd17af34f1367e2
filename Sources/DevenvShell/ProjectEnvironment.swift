import DevenvBasics
import DevenvBuild
import DevenvProject
import DevenvStore
import Foundation

/// A shell of a project entered: its environment realized, and the variables a command gets
/// in it.
public struct EnteredEnvironment {
    public let environment: Environment
    /// The environment's store path.
    public let path: String
    public let variables: [String: String]

    /// What entering does to `current`: the variables it sets or changes, and those it removes.
    public func changes(from current: [String: String]) -> (set: [String: String], unset: [String]) {
        (variables.filter { current[$0.key] != $0.value }, current.keys.filter { variables[$0] == nil }.sorted())
    }
}

extension Workspace {
    /// Enters `shell`, as `develop`, `run`, `print-env` and the checks of `check` do: realizes it,
    /// keeps it rooted for as long as this process (or what it execs) runs when `rooted`, and
    /// composes its variables from `base` (the hook runs in `directory`). A realization by hand
    /// also makes hooked shells that gave up on the project after a failure try again.
    /// The variables of each shell `services` run in, by shell, entered from the project's root.
    public func environments(of services: [Service], realizer: Realizer, base: [String: String]) throws
        -> [String: [String: String]]
    {
        var environments: [String: [String: String]] = [:]
        for shell in Set(services.map(\.shell)) {
            environments[shell] =
                try enter(shell: shell, realizer: realizer, base: base, directory: project.root).variables
        }
        return environments
    }

    public func enter(
        shell: String, realizer: Realizer, base: [String: String], pure: Bool = false, rooted: Bool = true,
        directory: String = FileManager.default.currentDirectoryPath
    ) throws -> EnteredEnvironment {
        let (environment, path) = try realize(shell: shell, realizer: realizer)
        if rooted { try store.addTemporaryRoot(try store.directory.storePath(parsing: path)) }
        try Activation.retry(
            root: project.root, layout: HookLayout(home: store.location.home), onlyAfterFailure: true)
        return EnteredEnvironment(
            environment: environment, path: path,
            variables: try variables(
                shell: shell, environment: environment, path: path, base: base, pure: pure, directory: directory))
    }

    /// The command line that runs the `[scripts]` entry `name` with `arguments` appended:
    /// bash, with the arguments as its `$@`.
    public func scriptCommand(_ name: String, arguments: [String]) throws -> [String] {
        let script = try Manifest.resolvingPackageReferences(
            in: try manifest.script(name),
            packages: try lock.environment(shell: Manifest.defaultShell, system: CurrentSystem.name).packages)
        return ["/bin/bash", "-c", script + " \"$@\"", name] + arguments
    }

    /// The variables of `shell` once realized (its `environment` and store `path`): composed from
    /// `base`, then with the shell's hook applied.
    func variables(
        shell: String, environment: Environment, path: String, base: [String: String], pure: Bool, directory: String
    ) throws -> [String: String] {
        let composed = try shellEnvironment(shell, environment: environment, path: path).variables(
            from: base, pure: pure)
        return try applyingHook(of: shell, to: composed, directory: directory, capturingOutput: false).environment
    }

    /// How `shell` composes its variables over a base (docs/environment.md).
    func shellEnvironment(_ shell: String, environment: Environment, path: String) throws -> ShellEnvironment {
        // A Nix project's values may name packages' store paths, known once locked.
        let own = try manifest.shell(shell).env.mapValues {
            Manifest.resolvingPackageReferences(in: $0, packages: environment.packages)
        }
        return ShellEnvironment(
            path: [path + "/bin"], packageVariables: environment.packageVariables,
            manifestVariables: try manifest.serviceExports(in: project.stateDirectory + "/state").merging(own) { $1 },
            root: project.root, shellName: shell)
    }

    /// `variables` with the manifest `hook` of `shell` applied (none: as they are), and what it printed
    /// when `capturingOutput` (else it goes to the terminal).
    func applyingHook(of shell: String, to variables: [String: String], directory: String, capturingOutput: Bool)
        throws -> (environment: [String: String], output: String)
    {
        guard let written = try manifest.shell(shell).hook, !written.isEmpty else { return (variables, "") }
        let hook = try Manifest.resolvingPackageReferences(
            in: written, packages: try lock.environment(shell: shell, system: CurrentSystem.name).packages)
        do {
            return try Hook.run(hook, in: variables, directory: directory, capturingOutput: capturingOutput)
        } catch let error as ShellError {
            throw ShellError("shell '\(shell)': \(error.description)")
        }
    }
}

extension AdHocWorkspace {
    /// Enters an environment of `packages`: realized, rooted, and its variables composed from `base`.
    public func enter(_ packages: [String], realizer: Realizer, base: [String: String]) throws -> EnteredEnvironment {
        let (environment, path) = try realize(packages, realizer: realizer)
        let variables = ShellEnvironment(
            path: [path + "/bin"], packageVariables: environment.packageVariables, manifestVariables: [:], root: nil,
            shellName: AdHocWorkspace.shellName
        ).variables(from: base, pure: false)
        return EnteredEnvironment(environment: environment, path: path, variables: variables)
    }
}
