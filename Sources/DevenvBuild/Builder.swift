import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

/// Makes one derivation's output, its sources fetched and its dependencies realized already:
/// without a script, the output is the unpacked source; with one, the script runs (sandboxed
/// where possible) and creates `$out`. The output is then normalized, scanned for references
/// and registered; a failed build registers nothing and keeps its log.
struct Builder {
    let store: Store
    let settings: BuildSettings
    let progress: any BuildProgress

    /// Standard variables of every build (documented in docs/derivations.md).
    static let sourceDateEpoch = "315532800"

    func build(
        _ derivation: Derivation, at output: StorePath, sources: [StorePath], dependencies: [Derivation: StorePath]
    )
        throws
    {
        let staging = try store.makeStagingArea()
        defer { staging.discard() }
        let inputs = try store.closure(of: Array(dependencies.values) + sources).map(\.path)
        let start = Date()
        if derivation.relocation != 0, derivation.relocation != Derivation.currentRelocation {
            throw BuildError(
                "\(derivation.outputName) was locked for an older relocation of prebuilt programs, which this devenv no longer does; `devenv update` locks it again"
            )
        }
        if let script = derivation.script {
            try runScript(
                script, of: derivation, at: output, sources: sources, dependencies: dependencies, inputs: inputs,
                staging: staging)
        } else if derivation.relocation != 0 {
            progress.building(derivation.outputName, path: store.directory.fullPath(of: output), how: .unpack)
            let options = Set(derivation.sources.map(\.unpack))
            guard !sources.isEmpty, options.count == 1, let unpack = options.first ?? nil else {
                throw BuildError("\(derivation.name): its sources must be archives unpacked alike")
            }
            try Unpacker.unpack(sources.map(store.directory.fullPath(of:)), into: staging.tree, options: unpack)
        } else {
            progress.building(derivation.outputName, path: store.directory.fullPath(of: output), how: .unpack)
            guard derivation.sources.count == 1, let source = sources.first else {
                throw BuildError("\(derivation.name): a derivation without a script needs exactly one source")
            }
            try place(derivation.sources[0], from: source, at: staging.tree)
        }
        try makeLinks(derivation.links, in: staging.tree)
        if derivation.relocation != 0 {
            try relocate(derivation, at: output, in: staging, dependencies: dependencies, inputs: inputs)
        }
        try store.addOutput(staging, as: output, referenceCandidates: inputs)
        progress.built(
            derivation.outputName, path: store.directory.fullPath(of: output), seconds: Date().timeIntervalSince(start))
    }

    /// Makes the derivation's links in the output (their directories too), replacing nothing.
    private func makeLinks(_ links: [String: String], in tree: String) throws {
        for (path, target) in links.sorted(by: { $0.key < $1.key }) {
            let directory = try Builder.directory(path.split(separator: "/").dropLast(), in: tree)
            // What the package has itself it keeps (a closure may merge the target's package in).
            let link = directory + "/" + (path.split(separator: "/").last ?? "")
            guard try SystemCall.lstatIfExists(link) == nil else { continue }
            try SystemCall.retrying("cannot create the link '\(link)'") { symlink(target, link) }
        }
    }

    /// The directory `parts` of the output `tree`, made where missing; one that is something else
    /// (a link the package made, which could point anywhere) is an error: nothing is written through it.
    private static func directory(_ parts: some Sequence<Substring>, in tree: String) throws -> String {
        var directory = tree
        var relative = ""
        for part in parts {
            directory += "/" + part
            relative += (relative.isEmpty ? "" : "/") + part
            if let st = try SystemCall.lstatIfExists(directory) {
                guard SystemCall.isDirectory(st) else {
                    throw BuildError("the output's \(relative) is not a directory")
                }
            } else {
                try SystemCall.retrying("cannot create '\(directory)'") { mkdir(directory, 0o755) }
            }
        }
        return directory
    }

    /// Relocates the output onto its dependencies' outputs (the direct ones searched first, then
    /// the rest of their closure).
    private func relocate(
        _ derivation: Derivation, at output: StorePath, in staging: StagingArea,
        dependencies: [Derivation: StorePath], inputs: [StorePath]
    ) throws {
        // In the order of the canonical form (by hash), so that the same hash gives the same output.
        let direct = derivation.dependencies.sorted { $0.hash.base16 < $1.hash.base16 }.compactMap { dependencies[$0] }
        let layers = (direct + inputs.filter { !direct.contains($0) }).map(store.directory.fullPath(of:)).filter {
            path in
            (try? SystemCall.lstat(path)).map(SystemCall.isDirectory) ?? false
        }
        do {
            try Relocation(
                system: derivation.system,
                output: Relocation.Layer(disk: staging.tree, path: store.directory.fullPath(of: output)),
                dependencies: layers.map { Relocation.Layer(disk: $0, path: $0) }
            ).apply()
        } catch let error as BuildError {
            throw BuildError("relocation of \(derivation.outputName) failed: \(error.description)")
        }
        try recordRuntimeDependencies(direct.map(store.directory.fullPath(of:)), in: staging.tree)
    }

    /// Writes `nix-support/runtime-dependencies`: the outputs a prebuilt package's dependencies are
    /// in, one per line. A Debian package needs what it depends on at run time, found by paths no
    /// file of its own may hold (Node's modules, data); naming them makes them references, so the
    /// store keeps them with it and every closure (a build's sandbox too) has them.
    private func recordRuntimeDependencies(_ paths: [String], in tree: String) throws {
        guard !paths.isEmpty else { return }
        let file = try Builder.directory(["nix-support"], in: tree) + "/runtime-dependencies"
        let fd = try SystemCall.retrying("cannot create '\(file)'") {
            open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
        defer { close(fd) }
        try Array(paths.map { $0 + "\n" }.joined().utf8).withUnsafeBytes {
            try SystemCall.writeAll(fd, $0, "cannot write '\(file)'")
        }
    }

    /// Unpacks a source (or copies the file when it is not to be unpacked) to `destination`.
    private func place(_ source: Derivation.Source, from path: StorePath, at destination: String) throws {
        let file = store.directory.fullPath(of: path)
        if let unpack = source.unpack {
            try Unpacker.unpack(file, into: destination, options: unpack)
        } else {
            let input = try SystemCall.retrying("cannot open '\(file)'") { open(file, O_RDONLY | O_CLOEXEC) }
            defer { close(input) }
            let output = try SystemCall.retrying("cannot create '\(destination)'") {
                open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            }
            defer { close(output) }
            try FileTree.copyContents(from: input, to: output, display: file)
        }
    }

    private func runScript(
        _ script: String, of derivation: Derivation, at output: StorePath, sources: [StorePath],
        dependencies: [Derivation: StorePath], inputs: [StorePath], staging: StagingArea
    ) throws {
        let bwrap = Sandbox.bwrap()
        let sandboxed: Bool
        switch (settings.sandbox, bwrap) {
        case (_, nil) where derivation.hermetic, (.disabled, _) where derivation.hermetic:
            throw BuildError(
                "\(derivation.name) builds only hermetically, in bwrap's sandbox without the host's /usr"
                    + (bwrap == nil ? ", and bwrap is not installed" : " (sandbox = \"disabled\" in config.toml)"))
        case (.disabled, _): sandboxed = false
        case (_, .some): sandboxed = true
        case (.required, nil):
            throw BuildError(
                "\(derivation.name): the sandbox is required (sandbox = \"required\") but bwrap is not installed"
            )
        case (.automatic, nil):
            Builder.warnOnce(progress, "bwrap is not installed: building without a sandbox")
            sandboxed = false
        }
        let finalOutput = store.directory.fullPath(of: output)
        progress.building(derivation.outputName, path: finalOutput, how: sandboxed ? .sandboxed : .unsandboxed)

        let buildDirectory = staging.directory + "/build"
        try SystemCall.retrying("cannot create '\(buildDirectory)'") { mkdir(buildDirectory, 0o755) }
        try SystemCall.retrying("cannot create '\(staging.tree)'") { mkdir(staging.tree, 0o755) }
        let visibleBuild = sandboxed ? Sandbox.buildDirectory : buildDirectory
        var sourcePaths: [String] = []
        for (index, (source, path)) in zip(derivation.sources, sources).enumerated() {
            let name = index == 0 ? "source" : "source-\(index + 1)"
            if source.unpack != nil {
                try place(source, from: path, at: buildDirectory + "/" + name)
                sourcePaths.append(visibleBuild + "/" + name)
            } else {
                sourcePaths.append(store.directory.fullPath(of: path))
            }
        }

        var environment = derivation.environment
        let dependencyOutputs = dependencies.sorted { $0.key.name < $1.key.name }
        for (dependency, path) in dependencyOutputs {
            environment[dependency.name] = store.directory.fullPath(of: path)
        }
        let searchPath =
            dependencyOutputs.flatMap { $0.key.searchPath(at: store.directory.fullPath(of: $0.value)) }
            + (derivation.hermetic ? [] : ["/usr/bin", "/bin"])
        environment.merge(
            [
                "out": finalOutput,
                "src": sourcePaths.first ?? "",
                "srcs": sourcePaths.joined(separator: " "),
                "PATH": searchPath.joined(separator: ":"),
                "HOME": "/homeless-shelter",
                "TMPDIR": sandboxed ? "/tmp" : buildDirectory,
                "DEVENV_BUILD_CORES": String(settings.cores),
                "NIX_BUILD_CORES": String(settings.cores),
                "SOURCE_DATE_EPOCH": Builder.sourceDateEpoch,
                "DEVENV_BUILD_TOP": visibleBuild,
                "DEVENV_DEPENDENCIES": derivation.dependencies.compactMap { dependencies[$0] }
                    .map(store.directory.fullPath(of:)).joined(separator: " "),
            ], uniquingKeysWith: { _, standard in standard })

        try FileManager.default.createDirectory(atPath: store.logsDirectory, withIntermediateDirectories: true)
        let logPath = "\(store.logsDirectory)/\(output.baseName).log"
        let log = try SystemCall.retrying("cannot create the build log '\(logPath)'") {
            open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        defer { close(log) }
        // A hermetic build's shell is its dependencies' `sh`, as every other program it runs.
        let shell =
            derivation.hermetic
            ? searchPath.map { $0 + "/sh" }.first { FileManager.default.isExecutableFile(atPath: $0) } : "/bin/sh"
        guard let shell else {
            throw BuildError("\(derivation.name) builds hermetically, and none of its dependencies has `sh`")
        }
        let command = [shell, "-e", "-c", "cd \"$DEVENV_BUILD_TOP\"\n" + script]
        let status: Int32
        if sandboxed, let bwrap {
            let sandbox = Sandbox(
                storeDirectory: store.directory.path, inputs: inputs.map(store.directory.fullPath(of:)),
                buildDirectory: buildDirectory,
                output: (staging.tree, finalOutput), hostTools: !derivation.hermetic)
            status = try Subprocess.run(
                bwrap, sandbox.arguments(environment: environment, command: command), environment: [:], log: log)
        } else {
            // Without a sandbox the build writes at the final path itself (so `$out` inside files
            // is right); the staging area names it, so a crash leaves nothing valid behind.
            try staging.announceTarget(output)
            try FileTree.remove(finalOutput)
            try SystemCall.retrying("cannot move '\(staging.tree)' to '\(finalOutput)'") {
                rename(staging.tree, finalOutput)
            }
            status = try Subprocess.run(command[0], Array(command.dropFirst()), environment: environment, log: log)
            try SystemCall.retrying("cannot move '\(finalOutput)' back to '\(staging.tree)'") {
                rename(finalOutput, staging.tree)
            }
        }
        guard status == 0 else {
            // Split as lines end, CR LF too (one character to Swift, which is not "\n"); a log
            // that is not UTF-8 is read with replacement characters.
            let log = (try? Data(contentsOf: URL(fileURLWithPath: logPath))).map { String(decoding: $0, as: UTF8.self) }
            let lines = log?.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) ?? []
            let tail = lines.suffix(21).joined(separator: "\n").trimmingCharacters(in: .newlines)
            throw BuildError(
                "build of \(derivation.outputName) failed with exit status \(status); log: \(logPath)\n\(tail)")
        }
    }

    private static let warned = NSLock()
    nonisolated(unsafe) private static var hasWarned = false

    /// Reports a warning the first time only, for the whole process.
    private static func warnOnce(_ progress: any BuildProgress, _ message: String) {
        warned.lock()
        defer { warned.unlock() }
        if !hasWarned { progress.warning(message) }
        hasWarned = true
    }
}
