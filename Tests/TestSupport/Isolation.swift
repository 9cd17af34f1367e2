import DevenvBasics
import DevenvBuild
import DevenvStore
import Foundation
import Testing

extension Store {
    /// Realizes `derivations` (two jobs, progress recorded) and returns their outputs' full paths.
    public func realizedPaths(of derivations: [Derivation]) throws -> [String] {
        try Realizer(store: self, settings: BuildSettings(jobs: 2), progress: RecordingProgress())
            .realize(derivations).map(directory.fullPath(of:))
    }

    /// Runs `program` in a bubblewrap sandbox that has the store, an empty `/tmp`, `/proc` and
    /// `/dev`, and nothing of the host's files (no `/usr`, `/lib*`, `/bin`, `/etc`), without
    /// variables; `binding` adds bwrap arguments.
    public func runIsolated(
        _ program: String, _ arguments: [String] = [], input: String? = nil, binding: [String] = []
    ) throws -> CommandResult {
        let bwrap = try #require(Sandbox.bwrap())
        // The empty /tmp first: the store may be inside the host's /tmp.
        return try runCommand(
            bwrap,
            ["--tmpfs", "/tmp", "--bind", directory.path, directory.path, "--proc", "/proc", "--dev", "/dev"]
                + binding + ["--", program] + arguments, input: input.map { Data($0.utf8) }, environment: [:])
    }
}
