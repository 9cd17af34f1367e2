import ArgumentParser
import DevenvProject
import Foundation

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start a project from a template: write its files and lock it.",
        discussion: """
            A template is a small working project: its devenv.toml and the files `devenv check` needs \
            (a module, a test). Adds .devenv/ to the directory's .gitignore. No existing file is ever \
            overwritten: an existing devenv.toml is an error, other existing files are kept.
            """
    )

    @Option(help: "The template to start from (see --list-templates).", completion: Completions.templates)
    var template = "minimal"

    @Flag(help: "List the templates and what each is for.")
    var listTemplates = false

    @Flag(
        help:
            "Instead of a template, write devenv.toml from the directory's flake.nix, shell.nix or default.nix (as devenv reads it), and lock it."
    )
    var fromNix = false

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
            let outcome = try fromNix ? Templates.fromNix(in: target) : Templates.instantiate(template, in: target)
            let project = outcome.project
            let session = try Session()
            let workspace = try Workspace(project: project, store: session.store, policy: .update)
            let packages = workspace.lock.shells[Manifest.defaultShell]?.values.first?.map(\.name) ?? []
            print(
                "wrote \((outcome.written + ["devenv.lock"]).joined(separator: ", ")) in \(project.root) ("
                    + (fromNix ? "from its Nix file" : "template \(template)") + ")")
            if !outcome.kept.isEmpty { print("kept the existing \(outcome.kept.joined(separator: ", "))") }
            for note in outcome.notes { printError("warning: \(note)") }
            if !packages.isEmpty { print("packages: \(packages.joined(separator: ", "))") }
            print("next: cd \(project.root) && devenv develop")
        }
    }
}
