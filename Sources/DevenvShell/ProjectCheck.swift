import DevenvBasics
import DevenvBuild
import DevenvFetch
import DevenvPackages
import DevenvProject
import DevenvStore
import Foundation

/// What `devenv check` found: problems with the manifest, lock, inputs or packages, and the
/// outcome of each `[checks]` entry.
public struct CheckReport: Sendable {
    public struct CheckRun: Sendable {
        public let name: String
        public let command: String
        public let exitStatus: Int32
        public let seconds: Double
        public var passed: Bool { exitStatus == 0 }
    }

    public internal(set) var problems: [String] = []
    /// Whether devenv.toml itself is wrong (the CLI exits with 2 for that, as every command does).
    public internal(set) var manifestInvalid = false
    public internal(set) var checks: [CheckRun] = []
    public var passed: Bool { problems.isEmpty && checks.allSatisfy(\.passed) }
}

/// Receives the results of a check as they happen, for the CLI to print.
public protocol CheckObserver {
    func problem(_ message: String)
    /// Something said that does not fail the check.
    func note(_ message: String)
    func checkStarted(_ name: String)
    func checkFinished(_ run: CheckReport.CheckRun)
}

/// `devenv check`: what CI runs. Never writes the manifest or the lock. Fails when the manifest
/// is invalid, the lock is missing or out of date, an input no longer has its locked NAR hash, a
/// package does not realize or its output's NAR hash differs from the lock, or a check fails.
public struct ProjectCheck {
    let store: Store
    let realizer: Realizer
    let observer: any CheckObserver
    /// Where the checks' own output goes: nil for this process's stdout and stderr, or a file
    /// descriptor (e.g. 2, to keep stdout for a JSON report).
    let output: Int32?
    /// Starts the services the checks need (`needs`) and returns what stops them again; the
    /// supervisor is a layer above this one.
    let startServices: (([String], Workspace) throws -> () -> Void)?

    public init(
        store: Store, realizer: Realizer, observer: any CheckObserver, output: Int32?,
        startServices: (([String], Workspace) throws -> () -> Void)? = nil
    ) {
        self.store = store
        self.realizer = realizer
        self.observer = observer
        self.output = output
        self.startServices = startServices
    }

    public func run(_ project: Project, system: String = CurrentSystem.name) -> CheckReport {
        var report = CheckReport()
        func problem(_ message: String) {
            report.problems.append(message)
            observer.problem(message)
        }
        let workspace: Workspace
        do {
            workspace = try Workspace(project: project, store: store, policy: .locked)
        } catch {
            report.manifestInvalid = error is ManifestError
            problem("\(error)")
            return report
        }
        for (name, input) in workspace.lock.inputs.sorted(by: { $0.key < $1.key }) {
            if let message = verify(input, named: name, root: project.root) { problem(message) }
        }
        workspace.files.flakeInputProblems(store: store).forEach(problem)
        if let note = TrustStore(layout: HookLayout(home: store.location.home)).useSuggestedCaches(in: workspace) {
            observer.note(note)
        }
        let realizer = workspace.realizer(from: realizer)
        for (shell, systems) in workspace.lock.shells.sorted(by: { $0.key < $1.key }) {
            for package in systems[system] ?? [] {
                do {
                    let path = try realizer.realize([package.derivation])[0]
                    let actual = try store.validPathInfo(path).narHash
                    if let locked = package.narHash, locked != actual.sri {
                        problem(
                            "package \(package.name) (shell \(shell)): NAR hash \(actual.sri) differs from the lock's \(locked)"
                        )
                    }
                } catch {
                    problem("package \(package.name) (shell \(shell)) does not realize: \(error)")
                }
            }
        }
        guard report.problems.isEmpty, !workspace.manifest.checks.isEmpty else { return report }
        let entered: EnteredEnvironment
        do {
            entered = try workspace.enter(
                shell: Manifest.defaultShell, realizer: realizer, base: ProcessInfo.processInfo.environment,
                rooted: false, directory: project.root)
        } catch {
            problem("cannot enter the default shell: \(error)")
            return report
        }
        var needed: [String] = []
        for (name, _) in workspace.manifest.checks {
            for service in workspace.manifest.checkNeeds[name] ?? [] where !needed.contains(service) {
                needed.append(service)
            }
        }
        var stopServices: (() -> Void)? = nil
        if !needed.isEmpty {
            guard let startServices else {
                problem("checks need services (\(needed.joined(separator: ", "))), which this run cannot start")
                return report
            }
            do {
                stopServices = try startServices(needed, workspace)
            } catch {
                problem("cannot start the services the checks need: \(error)")
                return report
            }
        }
        defer { stopServices?() }
        for (name, written) in workspace.manifest.checks {
            let command = Manifest.resolvingPackageReferences(in: written, packages: entered.environment.packages)
            observer.checkStarted(name)
            let start = Date()
            let status =
                (try? Subprocess.run(
                    "/bin/bash", ["-c", "cd \"$1\" && eval \"$2\"", "devenv-check", project.root, command],
                    environment: entered.variables, log: output)) ?? 127
            let run = CheckReport.CheckRun(
                name: name, command: command, exitStatus: status, seconds: Date().timeIntervalSince(start))
            report.checks.append(run)
            observer.checkFinished(run)
        }
        return report
    }

    /// A message when the input's content no longer has its locked NAR hash.
    private func verify(_ input: LockedInput, named name: String, root: String) -> String? {
        guard let locked = input.narHash else { return nil }
        do {
            let actual: String
            switch InputSpec(input.spec) {
            case .path?:
                let path = input.path ?? ""
                actual = try Nar.hash(of: path.hasPrefix("/") ? path : root + "/" + path).hash.sri
            case .git?:
                guard let url = input.url, let rev = input.rev else { return nil }
                actual = try GitFetcher(store: store).fetch(GitSource(url: url, rev: rev)).narHash
            case .builtin?, nil:
                return nil
            }
            return actual == locked
                ? nil : "input \(name) (\(input.spec)): NAR hash \(actual) differs from the lock's \(locked)"
        } catch {
            return "input \(name) (\(input.spec)) cannot be fetched: \(error)"
        }
    }
}
