import DevenvBasics
import Foundation
import Glibc

/// What `devenv down NAME` and `devenv up NAME` ask of a running supervisor: a file in
/// `.devenv/state` naming services (one a line), `stop-request.PID` or `start-request.PID` after
/// the asking process (so that two at once do not overwrite each other), then a signal. The
/// supervisor removes the file once it has acted on it.
public enum SupervisorRequest: String, Sendable {
    case stop
    case start

    /// SIGUSR1 asks for the stop requests, SIGUSR2 for the start requests.
    public var signal: Int32 { self == .stop ? SIGUSR1 : SIGUSR2 }

    private var prefix: String { rawValue + "-request." }

    /// The file this process's request is in.
    func path(in stateDirectory: String) -> String { stateDirectory + "/" + prefix + String(getpid()) }

    /// Writes the request for `names` and signals `supervisor`; the file's path.
    func send(_ names: [String], to supervisor: pid_t, in stateDirectory: String) throws -> String {
        let path = path(in: stateDirectory)
        try OwnFiles.replace(path, with: Array(names.map { $0 + "\n" }.joined().utf8))
        kill(supervisor, signal)
        return path
    }

    /// The requests waiting in `stateDirectory`: the names they ask for, and their files.
    func pending(in stateDirectory: String) -> (names: [String], files: [String]) {
        var names: [String] = []
        var files: [String] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: stateDirectory)) ?? []
        for entry in entries.sorted() where entry.hasPrefix(prefix) && !entry.contains(".new-") {
            let file = stateDirectory + "/" + entry
            guard let bytes = OwnFiles.contents(of: file, limit: 1 << 16) else { continue }
            files.append(file)
            for name in String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            where !names.contains(name) {
                names.append(name)
            }
        }
        return (names, files)
    }
}
