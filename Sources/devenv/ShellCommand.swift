import ArgumentParser
import DevenvBasics
import DevenvBuild
import DevenvPackages
import DevenvProject
import DevenvShell
import DevenvStore
import Foundation

struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "An ad-hoc environment with some packages, outside any project (like `nix shell`).",
        discussion:
            "Packages are names of the default set, NAME@VERSION included; the environment gets DEVENV_SHELL=adhoc."
    )

    @Argument(help: "Packages to put in the environment.", completion: Completions.packages)
    var packages: [String]

    @Option(
        name: [.customShort("c"), .customLong("command")], parsing: .remaining,
        help: "Run CMD ARGS... in the environment instead of a shell.")
    var command: [String] = []

    @OptionGroup var packageSet: PackageSetOption

    func run() throws {
        let session = try Session(packageSet: packageSet.directory)
        let entered = try AdHocWorkspace(
            store: session.store, packages: try session.packages, debian: session.debian()
        ).enter(
            packages, realizer: session.realizer(), base: ProcessInfo.processInfo.environment)
        startAutomaticCollection()
        if let executable = command.first {
            try Subprocess.exec(executable, Array(command.dropFirst()), environment: entered.variables)
        }
        try enterShell(
            environment: entered.variables, pathPrefix: [entered.path + "/bin"], aliases: [], session: session)
    }
}
