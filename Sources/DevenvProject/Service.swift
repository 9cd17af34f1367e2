import DevenvBasics
import Glibc

/// A long-running process of the project, as `[services.NAME]` declares it: what `devenv up`
/// starts, checks for readiness, restarts and stops.
public struct Service: Sendable, Equatable {
    /// How a service shows it is ready.
    public enum Probe: Sendable, Equatable {
        /// A bash command, in the service's environment, that exits 0.
        case command(String)
        /// A TCP port that accepts a connection.
        case tcp(host: String, port: Int)
        /// A Unix socket that accepts a connection.
        case unix(path: String)
        /// An `http://` URL that answers with a status below 400.
        case http(url: String)
    }

    /// How a probe names the service's own port (`port = "auto"` included).
    static let portPlaceholders = ["${PORT}", "$PORT"]

    public enum Restart: String, Sendable, Equatable, CaseIterable {
        case onFailure = "on-failure"
        case always
        case never
    }

    public var name: String
    /// Run with bash, in the project's environment, from the project's root.
    public var command: String
    public var env: [String: String]
    /// The shell whose environment it runs in.
    public var shell: String
    public var ready: Probe?
    /// Seconds between probes, and until a service that is not ready fails `up`.
    public var readyInterval: Double
    public var readyTimeout: Double
    /// Services started (and ready) before it.
    public var after: [String]
    public var restart: Restart
    /// Restarts in a row (without a run that stayed ready for `stablePeriod` between) before
    /// it is left failed.
    public var maxRestarts: Int
    /// Seconds before the first restart, doubled for each further one in a row up to `maximumBackoff`.
    public var backoff: Double
    /// What stops it: this signal to its process group, or `stopCommand` when given; then,
    /// after `stopGrace` seconds, SIGKILL to the group.
    public var stopSignal: Int32
    public var stopCommand: String?
    public var stopGrace: Double
    /// Its port (given to it as `PORT`), when it has one.
    public var port: Port? = nil
    /// A service of a kind: which, its package and databases.
    public var kind: Kind? = nil
    public var package: String? = nil
    public var databases: [String] = []

    public static let maximumBackoff = 30.0

    /// How long a run stays ready before its crash no longer counts as one in a row: ten
    /// backoffs (10 s by default), so a crash loop is caught however fast its runs end.
    public var stablePeriod: Double { backoff * 10 }

    /// Lowercase letters, digits, `-` and `_`, starting with a letter or digit: the name is a
    /// directory of `.devenv/state` and a prefix of log lines.
    public static func isName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isNameByte(first), first != UInt8(ascii: "-"), first != UInt8(ascii: "_")
        else { return false }
        return name.utf8.count <= 64 && name.utf8.allSatisfy(isNameByte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// The signals a service may be stopped with, by name (`TERM` or `SIGTERM`).
    static let signals: [String: Int32] = [
        "TERM": SIGTERM, "INT": SIGINT, "QUIT": SIGQUIT, "HUP": SIGHUP, "KILL": SIGKILL, "USR1": SIGUSR1,
        "USR2": SIGUSR2,
    ]
}

extension Manifest {
    /// The services `names` (all when empty) and every service they come `after`, each after
    /// those it comes after (ties in name order); an error for a name the manifest does not have.
    public func services(_ names: [String]) throws -> [Service] {
        for name in names where services[name] == nil {
            let known = services.keys.sorted().joined(separator: ", ")
            throw ProjectError(
                "devenv.toml has no service '\(name)'" + (known.isEmpty ? " (it has none)" : " (it has: \(known))"))
        }
        var wanted = Set(names.isEmpty ? Array(services.keys) : names)
        var pending = Array(wanted)
        while let name = pending.popLast() {
            for other in services[name]?.after ?? [] where wanted.insert(other).inserted { pending.append(other) }
        }
        var ordered: [Service] = []
        var placed: Set<String> = []
        // The manifest has no cycles (it is refused with one), so each round places at least one.
        while placed.count < wanted.count {
            for name in wanted.sorted() where !placed.contains(name) {
                let service = services[name]!
                if service.after.allSatisfy(placed.contains) {
                    ordered.append(service)
                    placed.insert(name)
                }
            }
        }
        return ordered
    }
}

extension Service {
    /// Reads `[services.NAME]`; `shells` are the manifest's shells with their packages, for
    /// `shell` and a kind's `package`.
    static func read(_ reader: TOMLTableReader, name: String, shells: [String: [PackageRequest]]) throws -> Service {
        let kind = try reader.string("kind").map { text in
            guard let kind = Kind(rawValue: text) else {
                throw reader.error("kind", "'\(text)' is not a kind of service (postgresql, redis)")
            }
            return kind
        }
        let common: Set<String> = ["env", "shell", "after", "restart", "max-restarts", "backoff", "port"]
        try reader.rejectUnknownKeys(
            common.union(kind == nil ? ["command", "ready", "stop"] : Service.kindKeys))
        guard Service.isName(name) else {
            throw reader.document.error(
                at: reader.path,
                "\(name.debugDescription) is not a service name (lowercase letters, digits, '-' and '_', at most 64)")
        }
        let env = try reader.variables("env") ?? [:]
        if let own = env.keys.sorted().first(where: Environment.isDevenvOwn) {
            throw reader.error("env", "\(own.debugDescription) in 'env' is devenv's own (DEVENV_… and __devenv… are)")
        }
        let shell = try reader.string("shell") ?? Manifest.defaultShell
        guard let shellPackages = shells[shell] else {
            throw reader.error(
                "shell",
                "the shell '\(shell)' is not declared (shells: \(shells.keys.sorted().joined(separator: ", ")))")
        }
        var port: Port? = nil
        if case .string(let text)? = reader.table["port"] {
            guard text == "auto" else { throw reader.error("port", "'port' must be a number (1-65535) or \"auto\"") }
            port = .automatic
        } else if let number = try reader.integer("port") {
            guard (1...65535).contains(number) else {
                throw reader.error("port", "'port' must be a number (1-65535) or \"auto\"")
            }
            port = .fixed(number)
        }
        var command: String
        var ready: Probe? = nil
        var interval = 0.1
        var timeout = 60.0
        var package: String? = nil
        var databases: [String] = []
        var stopSignal = SIGTERM
        var stopCommand: String? = nil
        var stopGrace = 10.0
        if let kind {
            package =
                try reader.string("package") ?? shellPackages.map(\.name).first(where: kind.provides)
                ?? kind.defaultPackage
            guard let package, kind.provides(package) else {
                throw reader.error(
                    "package", "'package' must be a package of \(kind.rawValue) (postgresql_17, redis, …)")
            }
            databases = try reader.strings("databases") ?? []
            if let bad = databases.first(where: { !Service.isDatabaseName($0) }) {
                throw reader.document.error(
                    at: reader.path + ["databases"], element: bad,
                    "\(bad.debugDescription) is not a database name (lowercase letters, digits and '_')")
            }
            if kind == .redis, !databases.isEmpty { throw reader.error("databases", "redis has no named databases") }
            var settings: [(String, String)] = []
            if let table = try reader.table("settings") {
                for key in table.table.keys.sorted() {
                    guard Service.isSettingName(key) else {
                        throw table.error(key, "\(key.debugDescription) is not a setting's name")
                    }
                    switch table.table[key]! {
                    case .string(let value): settings.append((key, value))
                    case .integer(let value): settings.append((key, String(value)))
                    case .bool(let value): settings.append((key, value ? "on" : "off"))
                    default: throw table.error(key, "'\(key)' must be a string, a number or a boolean")
                    }
                }
            }
            port = port ?? .fixed(kind.defaultPort)
            command = Service.command(of: kind, settings: settings)
            ready = Service.probe(of: kind, databases: databases)
            // postgres: SIGINT is its fast shutdown; redis: SIGTERM saves nothing (no persistence asked for).
            stopSignal = kind == .postgresql ? SIGINT : SIGTERM
            stopGrace = 30
            // Their probes are cheap and start-up is what people wait for.
            interval = 0.02
        } else {
            command = try reader.requiredString("command")
        }
        if let probe = try reader.table("ready") {
            try probe.rejectUnknownKeys(["command", "tcp", "unix", "http", "interval", "timeout"])
            let kinds = ["command", "tcp", "unix", "http"].filter { probe.table[$0] != nil }
            guard kinds.count == 1 else {
                throw reader.error("ready", "'ready' must have one of command, tcp, unix or http")
            }
            switch kinds[0] {
            case "command": ready = .command(try probe.requiredString("command"))
            case "tcp": ready = try tcpProbe(probe)
            case "unix":
                let path = try probe.requiredString("unix")
                guard !path.isEmpty, path.utf8.count < 108 else {
                    throw probe.error("unix", "'unix' must be a socket's path (at most 107 bytes)")
                }
                ready = .unix(path: path)
            default:
                let url = try probe.requiredString("http")
                guard url.hasPrefix("http://"), url.utf8.count > 7 else {
                    throw probe.error("http", "'http' must be an http:// URL")
                }
                ready = .http(url: url)
            }
            interval = try duration(probe, "interval") ?? interval
            timeout = try duration(probe, "timeout") ?? timeout
        }
        let restart: Restart

        if let text = try reader.string("restart") {
            guard let value = Restart(rawValue: text) else {
                throw reader.error("restart", "'restart' must be \"on-failure\", \"always\" or \"never\"")
            }
            restart = value
        } else {
            restart = .never
        }
        let maxRestarts = try reader.integer("max-restarts") ?? 5
        guard maxRestarts >= 0 else { throw reader.error("max-restarts", "'max-restarts' must be 0 or more") }
        if let stop = try reader.table("stop") {
            try stop.rejectUnknownKeys(["signal", "command", "grace"])
            if let text = try stop.string("signal") {
                let bare = text.hasPrefix("SIG") ? String(text.dropFirst(3)) : text
                guard let signal = Service.signals[bare] else {
                    let known = Service.signals.keys.sorted().joined(separator: ", ")
                    throw stop.error("signal", "'\(text)' is not a signal a service stops with (\(known))")
                }
                stopSignal = signal
            }
            stopCommand = try stop.string("command")
            stopGrace = try duration(stop, "grace") ?? stopGrace
        }
        if port == nil, let ready, ready.namesItsPort {
            throw reader.error("ready", "'ready' names $PORT, but the service has no 'port'")
        }
        return Service(
            name: name, command: command, env: env, shell: shell, ready: ready, readyInterval: interval,
            readyTimeout: timeout, after: try reader.strings("after") ?? [], restart: restart,
            maxRestarts: maxRestarts, backoff: try duration(reader, "backoff") ?? 1, stopSignal: stopSignal,
            stopCommand: stopCommand, stopGrace: stopGrace, port: port, kind: kind, package: package,
            databases: databases)
    }

    /// `tcp = 5432` (on 127.0.0.1) or `tcp = "HOST:PORT"`.
    private static func tcpProbe(_ probe: TOMLTableReader) throws -> Probe {
        let problem = "'tcp' must be a port (1-65535), \"$PORT\" or \"HOST:PORT\""
        if case .integer(let port)? = probe.table["tcp"] {
            guard (1...65535).contains(port) else { throw probe.error("tcp", problem) }
            return .tcp(host: "127.0.0.1", port: port)
        }
        let text = try probe.requiredString("tcp")
        // `$PORT` stands for the service's own port: 0 until the supervisor knows it.
        if Service.portPlaceholders.contains(text) { return .tcp(host: "127.0.0.1", port: 0) }
        guard let colon = text.lastIndex(of: ":"), colon > text.startIndex else { throw probe.error("tcp", problem) }
        let portText = String(text[text.index(after: colon)...])
        let port = Service.portPlaceholders.contains(portText) ? 0 : Int(portText) ?? -1
        guard (0...65535).contains(port) else { throw probe.error("tcp", problem) }
        return .tcp(host: String(text[..<colon]), port: port)
    }

    /// A duration as people write one: `250ms`, `5s`, `2m`.
    private static func duration(_ reader: TOMLTableReader, _ key: String) throws -> Double? {
        guard let text = try reader.string(key) else { return nil }
        guard let seconds = Quantities.duration(text), seconds > 0, seconds <= 86_400 else {
            throw reader.error(key, "'\(key)' must be a duration such as \"500ms\", \"5s\" or \"2m\" (at most a day)")
        }
        return seconds
    }
}

extension Service.Probe {
    /// Whether it names the service's own port (`$PORT`, `${PORT}`).
    var namesItsPort: Bool {
        switch self {
        case .command: false
        case .tcp(_, let port): port == 0
        case .http(let text), .unix(let text): Service.portPlaceholders.contains { text.contains($0) }
        }
    }

    /// The probe with `$PORT` (and `${PORT}`) made `port`; a command probe has it from bash.
    public func resolving(port: Int?) -> Service.Probe {
        guard let port else { return self }
        func filled(_ text: String) -> String {
            Service.portPlaceholders.reduce(text) { $0.replacingOccurrences(of: $1, with: String(port)) }
        }
        switch self {
        case .command: return self
        case .tcp(let host, let given): return .tcp(host: host, port: given == 0 ? port : given)
        case .http(let url): return .http(url: filled(url))
        case .unix(let path): return .unix(path: filled(path))
        }
    }
}
