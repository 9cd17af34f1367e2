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
        let requests = try packages.map { text in
            guard let request = PackageRequest(text), request.input == nil else {
                throw ProjectError("'\(text)' is not a package of the set (NAME or NAME@VERSION)")
            }
            return request
        }
        let locked = try Locker(store: session.store, root: FileManager.default.currentDirectoryPath)
            .resolve(requests, in: try session.packages, system: CurrentSystem.name)
        let environment = Environment(shell: "adhoc", system: CurrentSystem.name, packages: locked)
        let realized = try session.realizer().realize([environment.derivation])[0]
        try session.store.addTemporaryRoot(realized)
        let path = session.store.directory.fullPath(of: realized)
        let variables = ShellEnvironment(
            path: [path + "/bin"], packageVariables: environment.packageVariables, manifestVariables: [:], root: nil,
            shellName: "adhoc"
        ).variables(from: ProcessInfo.processInfo.environment, pure: false)
        startAutomaticCollection()
        if let executable = command.first {
            try Subprocess.exec(executable, Array(command.dropFirst()), environment: variables)
        }
        try enterShell(environment: variables, pathPrefix: [path + "/bin"], aliases: [], session: session)
    }
}
