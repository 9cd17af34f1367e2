import DevenvBasics
import DevenvStore
import Foundation

/// Manifests evaluated from Nix files, kept under `$DEVENV_HOME/nix-eval` by what they were
/// evaluated from (the file's path and bytes, the system, devenv's own Nix code and package
/// names, the set `<nixpkgs>` means), with every other file the evaluation read (a `path:` set's
/// directory too) and its hash: an entry is used only while those are unchanged. Entering a
/// project whose Nix files did not change then costs no evaluation.
struct NixEvaluationCache {
    let directory: String

    /// Bumped when what an entry holds, or how the evaluator answers, changes.
    static let format = 2

    struct Entry: Codable {
        struct Shell: Codable {
            var packages: [String]
            var env: [String: String]
            var hook: String?
            var locations: [String: String]
            var programs: [String: String]
        }
        var shells: [String: Shell]
        var checks: [[String]]
        var scripts: [String: String]
        var containers: [String: ContainerSpec]?
        /// Every file read but the project's own, by its SHA-256.
        var files: [String: String]
    }

    /// This build of devenv (its package set, its evaluator): the executable's size and time.
    static let executableIdentity: String = {
        var status = stat()
        guard stat("/proc/self/exe", &status) == 0 else { return "unknown" }
        return "\(status.st_size):\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
    }()

    /// The key of an evaluation of `bytes` at `path` for `system`.
    static func key(path: String, bytes: Data, system: String, nixpkgs: InputSpec) -> String {
        let inputs = [
            "\(format)", executableIdentity, path, system, nixpkgs.description, NixPackageSetSource.nixpkgs,
            NixPackageSetSource.lib,
            NixPackageSetSource.flakeUtils, NixPackageSetSource.nixpkgsFlake,
        ]
        let text = inputs.map { $0 + "\u{0}" }.joined()
        return Hasher.hash(.sha256, Array(text.utf8) + Array(bytes)).base16
    }

    static func digest(of path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "missing" }
        // A directory may have been listed or copied whole: its NAR hash covers both.
        if isDirectory.boolValue { return (try? Nar.hash(of: path).hash.base16).map { "directory:" + $0 } }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return Hasher.hash(.sha256, Array(data)).base16
    }

    /// The manifest of `key`, if an entry has it and what it read is unchanged.
    func manifest(key: String, displayName: String, system: String) -> Manifest? {
        guard let bytes = OwnFiles.contents(of: directory + "/" + key + ".json", limit: 16 << 20),
            let entry = try? JSONDecoder().decode(Entry.self, from: Data(bytes)),
            entry.files.allSatisfy({ NixEvaluationCache.digest(of: $0.key) == $0.value }),
            var manifest = try? Manifest(parsing: "", file: displayName, currentSystem: system)
        else { return nil }
        var shells: [String: Manifest.Shell] = [:]
        for (name, shell) in entry.shells {
            let packages = shell.packages.compactMap(PackageRequest.init)
            guard packages.count == shell.packages.count else { return nil }
            shells[name] = Manifest.Shell(
                packages: packages, env: shell.env, hook: shell.hook, aliases: [:], locations: shell.locations,
                programs: shell.programs)
        }
        manifest.shells = shells
        manifest.checks = entry.checks.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
        manifest.scripts = entry.scripts
        manifest.containers = entry.containers ?? [:]
        return manifest
    }

    /// Keeps `manifest` for `key`, with the files read to make it. A failure to write is no error:
    /// the next command evaluates again.
    func store(_ manifest: Manifest, key: String, read files: [String]) {
        var digests: [String: String] = [:]
        for file in files {
            guard let digest = NixEvaluationCache.digest(of: file) else { return }
            digests[file] = digest
        }
        let entry = Entry(
            shells: manifest.shells.mapValues {
                Entry.Shell(
                    packages: $0.packages.map(\.description), env: $0.env, hook: $0.hook, locations: $0.locations,
                    programs: $0.programs)
            }, checks: manifest.checks.map { [$0.name, $0.command] }, scripts: manifest.scripts,
            containers: manifest.containers, files: digests)
        guard let data = try? JSONEncoder().encode(entry) else { return }
        // The user's alone: values may hold what a Nix file read from their files.
        guard (try? OwnFiles.directory(directory)) != nil, chmod(directory, 0o700) == 0 else { return }
        try? OwnFiles.replace(directory + "/" + key + ".json", with: Array(data))
    }
}
