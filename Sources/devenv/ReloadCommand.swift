import ArgumentParser
import DevenvProject
import DevenvShell
import DevenvStore
import Foundation

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make hooked shells load the project again, retrying a failed background realization.",
        discussion: """
            A background realization that failed is reported once and not tried again until \
            devenv.toml or devenv.lock changes; after fixing its cause elsewhere (a network, a disk), \
            this tries again at the next prompt of every hooked shell.
            """
    )

    @Argument(help: "The project directory (default: the project of the current directory).")
    var directory: String?

    func run() throws {
        let project = try Project.find(from: directory ?? FileManager.default.currentDirectoryPath)
        try Activation.retry(root: project.root, layout: HookLayout(home: StoreLocation.fromEnvironment().home))
        print("hooked shells load \(project.root) again at their next prompt")
    }
}
