import ArgumentParser
import DevenvProject
import Foundation

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start a project: write devenv.toml from a template and lock it.",
        discussion: "Adds .devenv/ to the directory's .gitignore. An existing devenv.toml is never overwritten."
    )

    @Option(help: "The template to start from (see --list-templates).")
    var template = "minimal"

    @Flag(help: "List the templates and what each is for.")
    var listTemplates = false

    @Argument(help: "The project directory (default: the current one; created if missing).")
    var directory: String?

    func run() throws {
        if listTemplates {
            let width = Templates.all.keys.map(\.count).max() ?? 0
            for name in Templates.all.keys.sorted() {
                print(name + String(repeating: " ", count: width - name.count) + "  " + Templates.summary(name))
            }
            return
        }
        try withManifestErrors {
            let target = directory ?? FileManager.default.currentDirectoryPath
            let project = try Templates.instantiate(template, in: target)
            let session = try Session()
            let workspace = try Workspace(project: project, store: session.store, policy: .update)
            let packages = workspace.lock.shells[Manifest.defaultShell]?.values.first?.map(\.name) ?? []
            print("wrote \(project.manifestPath) (template \(template)) and devenv.lock")
            if !packages.isEmpty { print("packages: \(packages.joined(separator: ", "))") }
            print("next: cd \(project.root) && devenv develop")
        }
    }
}
