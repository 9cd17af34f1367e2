import ArgumentParser
import DevenvBasics
import DevenvPackages
import DevenvProject
import DevenvStore
import Foundation

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Your own packages, outside any project (like `nix profile`); put ~/.local/share/devenv/bin on PATH.",
        discussion: "Every change is a generation: `devenv profile rollback` undoes it.",
        subcommands: [
            ProfileInstallCommand.self, ProfileRemoveCommand.self, ProfileListCommand.self,
            ProfileUpgradeCommand.self, ProfileRollbackCommand.self, ProfileGenerationsCommand.self,
        ]
    )

    /// Applies a change of the profile's packages and reports it.
    static func apply(_ session: Session, upgrade: Bool = false) throws {
        let profile = Profile(store: session.store)
        let environment = try profile.apply(realizer: session.realizer(), upgrade: upgrade, debian: session.debian())
        for package in environment.packages { print("\(package.name) \(package.version)") }
        for conflict in environment.conflicts {
            printError(
                "warning: \(conflict.used) and \(conflict.shadowed) both provide \(conflict.programs.joined(separator: ", ")); \(conflict.used)'s are used (installed first; remove it to use \(conflict.shadowed)'s)"
            )
        }
        print("linked \(profile.bin)")
    }
}

struct ProfileInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Add packages (NAME or NAME@VERSION) to the profile.")
    @Argument(help: "Packages or aliases of the set.", completion: Completions.packages) var packages: [String]
    @OptionGroup var packageSet: PackageSetOption

    func run() throws {
        let session = try Session()
        try Profile(store: session.store).install(
            packages, packageSet: packageSet.directory.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        try withManifestErrors { try ProfileCommand.apply(session) }
    }
}

struct ProfileRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove packages from the profile (by the name they were installed with).")
    @Argument(help: "Names of the profile's packages.", completion: Completions.profilePackages)
    var packages: [String]

    func run() throws {
        let session = try Session()
        try Profile(store: session.store).remove(packages)
        try ProfileCommand.apply(session)
    }
}

struct ProfileListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the profile's packages with their versions and store paths.")

    func run() throws {
        for package in try Profile(store: try Session().store).packages() {
            print("\(package.name) \(package.version)\t\(package.outPath)")
        }
    }
}

struct ProfileUpgradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Resolve every package of the profile again against the newest package set.")

    func run() throws {
        try ProfileCommand.apply(try Session(), upgrade: true)
    }
}

struct ProfileRollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Go back to the previous generation of the profile (or --to N).")
    @Option(help: "The generation to go to.") var to: Int?

    func run() throws {
        let (target, now) = try Profile(store: try Session().store).rollback(to: to)
        print("rolled back to generation \(target.number) (recorded as generation \(now.number))")
    }
}

struct ProfileGenerationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generations", abstract: "List the profile's generations.")
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let session = try Session()
        try describeGenerations(
            Generations(root: Profile(store: session.store).project.root, store: session.store), json: json)
    }
}
