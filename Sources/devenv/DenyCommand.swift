import ArgumentParser
import DevenvProject
import DevenvShell
import DevenvStore
import Foundation

struct DenyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny",
        abstract: "Stop the shell hook from loading this project (revokes devenv allow)."
    )

    @Argument(help: "The project directory (default: the project of the current directory).")
    var directory: String?

    func run() throws {
        let project = try Project.find(from: directory ?? FileManager.default.currentDirectoryPath)
        try TrustStore(layout: HookLayout(home: StoreLocation.fromEnvironment().home)).deny(root: project.root)
        print("denied \(project.root)")
    }
}
