import DevenvProject
import Foundation

extension Workspace {
    /// The variables of `shell` once realized (its `environment` and store `path`): composed from
    /// `base`, then with the shell's hook applied.
    public func variables(
        shell: String, environment: Environment, path: String, base: [String: String], pure: Bool,
        directory: String = FileManager.default.currentDirectoryPath
    ) throws -> [String: String] {
        let declared = try manifest.shell(shell)
        let composed = ShellEnvironment(
            path: [path + "/bin"], packageVariables: environment.packageVariables, manifestVariables: declared.env,
            root: project.root, shellName: shell
        ).variables(from: base, pure: pure)
        guard let hook = declared.hook, !hook.isEmpty else { return composed }
        do {
            return try Hook.run(hook, in: composed, directory: directory)
        } catch let error as ShellError {
            throw ShellError("shell '\(shell)': \(error.description)")
        }
    }
}
