import DevenvBasics
import Foundation
import Glibc

/// The services that need only a line (`kind = "postgresql"`, `kind = "redis"`): their command,
/// probe and stop, and what they export into the project's environment for clients.
extension Service {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case postgresql
        case redis

        /// The port it listens on unless `port` says otherwise.
        var defaultPort: Int { self == .postgresql ? 5432 : 6379 }

        /// Its package when neither `package` nor the shell's packages name one: the set's newest.
        var defaultPackage: String { self == .postgresql ? "postgresql_17" : "redis" }

        /// Whether a package of the set provides it (`postgresql_17`, `redis`, `valkey`).
        func provides(_ package: String) -> Bool {
            switch self {
            case .postgresql: package.hasPrefix("postgresql")
            case .redis: package == "redis" || package == "valkey"
            }
        }
    }

    public enum Port: Sendable, Equatable {
        case fixed(Int)
        /// A free port picked once for the project and kept in the service's state directory.
        case automatic
    }

    /// The keys a service of a kind may have besides those of every service.
    static let kindKeys: Set<String> = ["kind", "package", "databases", "port", "settings"]

    /// The service's state directory in the project's `.devenv/state`.
    public func stateDirectory(in serviceStates: String) -> String { serviceStates + "/" + name }

    /// The port the service listens on: fixed, or picked once (a free port of 127.0.0.1) and then
    /// read back from `port` in its state directory; nil when it has none.
    public func resolvedPort(in serviceStates: String) throws -> Int? {
        switch port {
        case nil: return nil
        case .fixed(let number): return number
        case .automatic:
            let directory = stateDirectory(in: serviceStates)
            let file = directory + "/port"
            if let text = OwnFiles.contents(of: file, limit: 64).map({ String(decoding: $0, as: UTF8.self) }),
                let number = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                (1024...65535).contains(number)
            {
                return number
            }
            let number = try Service.freePort()
            try ProjectStateDirectory.prepare((serviceStates as NSString).deletingLastPathComponent)
            try OwnFiles.directory(serviceStates)
            try OwnFiles.directory(directory)
            try OwnFiles.replace(file, with: Array("\(number)\n".utf8))
            return number
        }
    }

    /// The variables clients expect, with the state of the project's services in `serviceStates`.
    public func exports(in serviceStates: String) throws -> [String: String] {
        guard let kind, let port = try resolvedPort(in: serviceStates) else { return [:] }
        let directory = stateDirectory(in: serviceStates)
        switch kind {
        case .postgresql:
            return [
                "PGHOST": directory, "PGPORT": String(port), "PGDATA": directory + "/data",
                "PGDATABASE": databases.first ?? "postgres",
                "DATABASE_URL": "postgresql://127.0.0.1:\(port)/\(databases.first ?? "postgres")",
            ]
        case .redis:
            return ["REDIS_URL": "redis://127.0.0.1:\(port)"]
        }
    }

    /// The bash command of a kind: `$PORT` is its port, `$DEVENV_STATE` its state directory.
    static func command(of kind: Kind, settings: [(String, String)]) -> String {
        switch kind {
        case .postgresql:
            let options = settings.map { "-c " + ShellSyntax.posixQuoted("\($0)=\($1)") }.joined(separator: " ")
            return """
                set -e
                data="$DEVENV_STATE/data"
                if [ ! -s "$data/PG_VERSION" ]; then
                  initdb -D "$data" --auth=trust --encoding=UTF8 --no-locale >"$DEVENV_STATE/initdb.log"
                fi
                # A postmaster.pid whose process is gone is stale; one whose process runs is not ours to take.
                if [ -f "$data/postmaster.pid" ]; then
                  pid=$(head -n 1 "$data/postmaster.pid")
                  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q postgres "/proc/$pid/cmdline" 2>/dev/null; then
                    echo "postgres already runs on $data (pid $pid); stop it first" >&2
                    exit 1
                  fi
                  rm -f "$data/postmaster.pid"
                fi
                exec postgres -D "$data" -k "$DEVENV_STATE" -h 127.0.0.1 -p "$PORT" \(options)
                """
        case .redis:
            let options = settings.map { "--" + $0 + " " + ShellSyntax.posixQuoted($1) }.joined(separator: " ")
            return """
                server=$(command -v redis-server || command -v valkey-server)
                exec "$server" --bind 127.0.0.1 --port "$PORT" --dir "$DEVENV_STATE" --save '' --appendonly no \(options)
                """
        }
    }

    /// The readiness probe of a kind: postgres answers and has the databases.
    static func probe(of kind: Kind, databases: [String]) -> Probe {
        switch kind {
        case .postgresql:
            let create = databases.map { name in
                "{ psql -h \"$DEVENV_STATE\" -p \"$PORT\" -d postgres -tAc \"select 1 from pg_database where datname = '\(name)'\" | grep -q 1 || createdb -h \"$DEVENV_STATE\" -p \"$PORT\" \(name); }"
            }
            return .command((["pg_isready -q -h \"$DEVENV_STATE\" -p \"$PORT\""] + create).joined(separator: " && "))
        case .redis:
            return .command(
                "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'PING\\r\\n' >&3 && read -t 2 -r reply <&3 && [ \"${reply%$'\\r'}\" = +PONG ]"
            )
        }
    }

    /// A database name as `createdb` and URLs take it without quoting.
    static func isDatabaseName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 63
            && name.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: "_")
            }
    }

    /// A setting's name (`shared_buffers`, `maxmemory-policy`).
    static func isSettingName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            }
    }

    static func freePort() throws -> Int {
        guard let (socket, port) = Loopback.bind(port: 0) else {
            throw ProjectError("cannot pick a port: \(SystemCall.message())")
        }
        close(socket)
        return port
    }
}
