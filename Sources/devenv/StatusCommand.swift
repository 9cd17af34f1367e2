import ArgumentParser
import DevenvBasics
import DevenvPackages
import DevenvProject
import DevenvShell
import DevenvStore
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract:
            "Show the project the shell hook has loaded (or the current directory's): since when, its environment, and whether it is allowed, up to date and realized."
    )

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let session = try Session()
        let active = environment["DEVENV_ACTIVE"].flatMap { $0.isEmpty ? nil : $0 }
        let root = try active ?? Project.find(from: FileManager.default.currentDirectoryPath).root
        let project = Project(root: root)
        if let active {
            print("active:      \(active)")
            // fish sets no DEVENV_ACTIVE_SINCE: then the time the hook of this shell (the parent) wrote its stamp.
            let stamp = HookLayout(home: session.store.location.home).stamps + "/\(getppid())"
            if let since = environment["DEVENV_ACTIVE_SINCE"].flatMap(TimeInterval.init).flatMap({ $0 > 0 ? $0 : nil })
                ?? (try? FileManager.default.attributesOfItem(atPath: stamp)[.modificationDate] as? Date)?
                .timeIntervalSince1970
            {
                let formatter = ISO8601DateFormatter()
                print("since:       \(formatter.string(from: Date(timeIntervalSince1970: since)))")
            }
            if let path = environment["DEVENV_ACTIVE_ENVIRONMENT"] { print("environment: \(path)") }
        } else {
            print("active:      none (project here: \(root))")
        }
        let verdict = TrustStore(layout: HookLayout(home: session.store.location.home)).verdict(root: root)
        print(
            "allowed:     \(verdict == .allowed ? "yes" : verdict == .changed ? "no (changed since it was allowed)" : "no")"
        )
        let manifest = try withManifestErrors { try project.manifest() }
        let lock = try project.lock()?.relocated(to: session.store.directory)
        let current = lock.map { Locker.isCurrent($0, for: manifest) } ?? false
        print("up to date:  \(lock == nil ? "no (no devenv.lock)" : current ? "yes" : "no (devenv.toml changed)")")
        if let lock, let shell = try? lock.environment(shell: Manifest.defaultShell, system: CurrentSystem.name) {
            let path = try shell.derivation.outputPath(in: session.store.directory)
            let realized = try session.store.isValid(path)
            print("realized:    \(realized ? "yes (\(session.store.directory.fullPath(of: path)))" : "no")")
        } else {
            print("realized:    no")
        }
    }
}
