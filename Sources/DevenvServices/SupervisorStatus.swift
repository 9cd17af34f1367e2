import DevenvBasics
import DevenvProject
import Foundation
import Glibc

/// What a running supervisor reports about its services, in `.devenv/state/supervisor.json`
/// (replaced whole at each change), for `devenv ps`, `down` and `up -d`.
public struct SupervisorStatus: Codable, Equatable, Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        public enum State: String, Codable, Sendable {
            case waiting, starting, ready, restarting, stopping, stopped, failed
        }

        public var name: String
        public var state: State
        /// The service's process (its group) while it runs.
        public var pid: Int32?
        /// Its port, when it has one.
        public var port: Int?
        /// Seconds since the epoch when it entered `state`.
        public var since: Double
        /// Every restart by its restart policy since the supervisor started it.
        public var restarts: Int
        public var exitStatus: Int32?
        /// The readiness probe with the service's port filled in (`tcp 127.0.0.1:5432`), or nil for none.
        public var probe: String?
        /// Why it could not come up, when it could not.
        public var failure: String?
    }

    public var version = 1
    /// The supervisor's process.
    public var pid: Int32
    public var started: Double
    /// In start order.
    public var services: [Entry]
    /// Why `up` failed, when it did (the supervisor then stops everything and exits).
    public var failure: String?

    public subscript(_ name: String) -> Entry? { services.first { $0.name == name } }

    /// The status at `path`, or nil when there is none (or it cannot be read).
    public static func read(_ path: String) -> SupervisorStatus? {
        guard let bytes = OwnFiles.contents(of: path) else { return nil }
        return try? JSONDecoder().decode(SupervisorStatus.self, from: Data(bytes))
    }

    /// Replaces the file at `path` (written beside it, then renamed over it: never through a link).
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        try OwnFiles.replace(path, with: Array(data))
    }
}

extension Service.Probe {
    /// As `devenv ps` shows it.
    var summary: String {
        switch self {
        case .command(let command): "command \(command)"
        case .tcp(let host, let port): "tcp \(host):\(port)"
        case .unix(let path): "unix \(path)"
        case .http(let url): "http \(url)"
        }
    }
}
