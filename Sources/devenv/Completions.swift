import ArgumentParser
import DevenvPackages
import DevenvProject
import DevenvStore
import Foundation

/// What shell completion offers for arguments that name something: packages and aliases of the
/// embedded set, templates, and the shells, scripts and containers of the current directory's project
/// (asked for when the user presses Tab, by the completion script calling devenv back).
enum Completions {
    static let packages = CompletionKind.custom { _, _, prefix in
        let set = PackageSet.builtin
        return (Array(set.recipes.keys) + Array(set.aliases.keys)).filter { $0.hasPrefix(prefix) }.sorted()
    }

    static let templates = CompletionKind.list(Templates.all.keys.sorted())

    static let shells = CompletionKind.custom { _, _, prefix in
        projectNames(prefix) { Array($0.shells.keys) }
    }

    static let containers = CompletionKind.custom { _, _, prefix in
        projectNames(prefix) { Array($0.containers.keys) }
    }

    static let scripts = CompletionKind.custom { _, _, prefix in
        projectNames(prefix) { Array($0.scripts.keys) }
    }

    /// The profile's packages, as `profile remove` takes them.
    static let profilePackages = CompletionKind.custom { _, _, prefix in
        let profile = Profile.project(home: StoreLocation.fromEnvironment().home)
        let requests = (try? profile.manifest().shells[Manifest.defaultShell]?.packages) ?? []
        return requests.map(\.name).filter { $0.hasPrefix(prefix) }.sorted()
    }

    private static func projectNames(_ prefix: String, _ names: (Manifest) -> [String]) -> [String] {
        guard let project = try? Project.find(from: FileManager.default.currentDirectoryPath),
            let manifest = try? project.manifest(fetching: false)
        else { return [] }
        return names(manifest).filter { $0.hasPrefix(prefix) }.sorted()
    }
}
