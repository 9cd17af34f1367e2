import CLinux
import DevenvBasics
import Foundation
import GRDB

/// The SQLite database of valid paths and their references (`$DEVENV_HOME/db.sqlite`, WAL mode).
/// A path is valid exactly when its row is committed. Many processes share it; each write is one
/// immediate transaction, and a busy database is waited for rather than failed.
final class StoreDatabase: Sendable {
    static let schemaVersion = 4
    private let pool: DatabasePool
    let storeDirectory: StoreDirectory

    init(path: String, storeDirectory: StoreDirectory) throws {
        self.storeDirectory = storeDirectory
        var configuration = Configuration()
        configuration.busyMode = .timeout(600)
        configuration.prepareDatabase { db in
            // WAL + NORMAL survives any process crash; only a power loss may drop the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Nor does a process leave having synced the log into the database (two syncs at the
            // end of every command that wrote): a later commit's automatic checkpoint does it.
            guard devenv_sqlite_keep_wal_on_close(UnsafeMutableRawPointer(db.sqliteConnection)) == 0 else {
                throw StoreError("cannot configure the database connection")
            }
        }
        // Two processes creating the database at once can fail to switch it to WAL ("database is
        // locked": SQLite does not wait there); opening under a file lock avoids the race.
        let lock = try PathLock.acquire(path + ".lock")
        defer { lock.release() }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try migrate()
        } catch let error as DatabaseError {
            throw StoreError("cannot open the database '\(path)': \(error.message ?? "\(error)")")
        }
    }

    /// Creates or upgrades the schema. The version check happens inside the same immediate
    /// transaction as the change, so processes opening a new database at once cannot collide.
    private func migrate() throws {
        let directory = storeDirectory.path
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                if version == 0 {
                    try db.execute(
                        sql: """
                            CREATE TABLE Meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                            CREATE TABLE ValidPaths (
                                id INTEGER PRIMARY KEY AUTOINCREMENT,
                                path TEXT UNIQUE NOT NULL,
                                narHash TEXT NOT NULL,
                                narSize INTEGER NOT NULL,
                                registrationTime INTEGER NOT NULL,
                                deriver TEXT,
                                ca TEXT
                            );
                            CREATE TABLE Refs (
                                referrer INTEGER NOT NULL REFERENCES ValidPaths(id) ON DELETE CASCADE,
                                reference INTEGER NOT NULL REFERENCES ValidPaths(id) ON DELETE RESTRICT,
                                PRIMARY KEY (referrer, reference)
                            );
                            CREATE INDEX IndexReference ON Refs(reference);
                            PRAGMA user_version = 1;
                            """)
                    try db.execute(sql: "INSERT INTO Meta VALUES ('storeDir', ?)", arguments: [directory])
                } else if version > StoreDatabase.schemaVersion {
                    throw StoreError("the database was written by a newer devenv (schema \(version)); upgrade devenv")
                }
                if version < 2 {
                    try db.execute(
                        sql: """
                            CREATE TABLE Roots (
                                path TEXT NOT NULL,
                                kind TEXT NOT NULL,
                                owner TEXT NOT NULL,
                                created INTEGER NOT NULL,
                                PRIMARY KEY (path, kind, owner)
                            );
                            PRAGMA user_version = 2;
                            """)
                }
                if version < 3 {
                    // Signatures a binary cache gave a substituted path (space-separated, as Nix keeps them).
                    try db.execute(sql: "ALTER TABLE ValidPaths ADD COLUMN sigs TEXT; PRAGMA user_version = 3;")
                }
                if version < 4 {
                    // Valid paths whose files are not linked to the shared copies yet (substituted
                    // ones: garbage collection shares them).
                    try db.execute(
                        sql: """
                            CREATE TABLE Unshared (path INTEGER PRIMARY KEY REFERENCES ValidPaths(id) ON DELETE CASCADE);
                            PRAGMA user_version = 4;
                            """)
                }
                let recorded = try String.fetchOne(db, sql: "SELECT value FROM Meta WHERE key = 'storeDir'")
                if let recorded, recorded != directory {
                    throw StoreError(
                        "the database belongs to the store \(recorded), not \(directory); set DEVENV_STORE_DIR=\(recorded) or use another DEVENV_HOME"
                    )
                }
                return .commit
            }
        }
    }

    func isValid(_ path: StorePath) throws -> Bool {
        let full = storeDirectory.fullPath(of: path)
        return try pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM ValidPaths WHERE path = ?", arguments: [full]) ?? false
        }
    }

    func pathInfo(_ path: StorePath) throws -> PathInfo? {
        try pool.read { db in try self.pathInfo(path, db) }
    }

    private func pathInfo(_ path: StorePath, _ db: Database) throws -> PathInfo? {
        let full = storeDirectory.fullPath(of: path)
        guard
            let row = try Row.fetchOne(
                db,
                sql: "SELECT id, narHash, narSize, registrationTime, deriver, ca, sigs FROM ValidPaths WHERE path = ?",
                arguments: [full])
        else { return nil }
        let references = try String.fetchAll(
            db,
            sql: "SELECT v.path FROM Refs r JOIN ValidPaths v ON v.id = r.reference WHERE r.referrer = ?",
            arguments: [row["id"] as Int64])
        return PathInfo(
            path: path,
            narHash: try Hash(parsing: row["narHash"]),
            narSize: UInt64(row["narSize"] as Int64),
            references: try references.map(storeDirectory.storePath(parsing:)),
            registrationTime: row["registrationTime"],
            deriver: try (row["deriver"] as String?).map(storeDirectory.storePath(parsing:)),
            contentAddress: try (row["ca"] as String?).map(ContentAddress.init(parsing:)),
            signatures: ((row["sigs"] as String?) ?? "").split(separator: " ").map(String.init))
    }

    /// Every valid path, sorted.
    /// The valid path whose hash part is `hashPart` (what a binary cache is asked by), if any.
    func validPath(hashPart: String) throws -> StorePath? {
        let prefix = storeDirectory.path + "/" + hashPart + "-"
        return try pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT path FROM ValidPaths WHERE path >= ? AND path < ? ORDER BY path LIMIT 1",
                arguments: [prefix, storeDirectory.path + "/" + hashPart + "."])
        }.map(storeDirectory.storePath(parsing:))
    }

    func validPaths() throws -> [StorePath] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT path FROM ValidPaths ORDER BY path")
                .map(storeDirectory.storePath(parsing:))
        }
    }

    /// Makes `infos` valid in one transaction. References must be valid already or among `infos`;
    /// paths that are valid already are left as they are. Those in `unshared` have files not
    /// linked to the shared copies yet.
    func register(_ infos: [PathInfo], unshared: Set<StorePath> = []) throws {
        let directory = storeDirectory
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let insert = try db.cachedStatement(
                    sql: """
                        INSERT OR IGNORE INTO ValidPaths (path, narHash, narSize, registrationTime, deriver, ca, sigs)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """)
                for info in infos {
                    try insert.execute(arguments: [
                        directory.fullPath(of: info.path), info.narHash.formatted(.base16, prefixed: true),
                        Int64(info.narSize), info.registrationTime, info.deriver.map(directory.fullPath(of:)),
                        info.contentAddress?.description,
                        info.signatures.isEmpty ? nil : info.signatures.joined(separator: " "),
                    ])
                }
                let select = try db.cachedStatement(sql: "SELECT id FROM ValidPaths WHERE path = ?")
                let reference = try db.cachedStatement(
                    sql: "INSERT OR IGNORE INTO Refs (referrer, reference) VALUES (?, ?)")
                let unsharedPath = try db.cachedStatement(sql: "INSERT OR IGNORE INTO Unshared (path) VALUES (?)")
                func id(_ path: StorePath) throws -> Int64? {
                    try Int64.fetchOne(select, arguments: [directory.fullPath(of: path)])
                }
                for info in infos {
                    let referrer = try id(info.path)
                    if unshared.contains(info.path) { try unsharedPath.execute(arguments: [referrer]) }
                    for path in info.references {
                        guard let target = try id(path) else {
                            throw StoreError(
                                "'\(directory.fullPath(of: info.path))' refers to '\(path.baseName)', which is not valid"
                            )
                        }
                        try reference.execute(arguments: [referrer, target])
                    }
                }
                return .commit
            }
        }
    }

    /// Paths that reference `path` (not counting itself).
    func referrers(of path: StorePath) throws -> [StorePath] {
        let full = storeDirectory.fullPath(of: path)
        return try pool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT a.path FROM Refs r JOIN ValidPaths a ON a.id = r.referrer JOIN ValidPaths b ON b.id = r.reference
                    WHERE b.path = ? AND a.id != b.id ORDER BY a.path
                    """,
                arguments: [full]
            ).map(storeDirectory.storePath(parsing:))
        }
    }

    /// The valid paths whose files are not linked to the shared copies yet.
    func unsharedPaths() throws -> [StorePath] {
        try pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT v.path FROM Unshared u JOIN ValidPaths v ON v.id = u.path ORDER BY v.path")
        }.map(storeDirectory.storePath(parsing:))
    }

    func markShared(_ path: StorePath) throws {
        try pool.write { db in
            try db.execute(
                sql: "DELETE FROM Unshared WHERE path = (SELECT id FROM ValidPaths WHERE path = ?)",
                arguments: [storeDirectory.fullPath(of: path)])
        }
    }

    /// Makes `paths` invalid in one transaction. Every referrer of a path must be among `paths`.
    func invalidate(_ paths: [StorePath]) throws {
        let full = paths.map(storeDirectory.fullPath(of:))
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                // Drop all their references first, so deletion order among them does not matter.
                for path in full {
                    try db.execute(
                        sql: "DELETE FROM Refs WHERE referrer = (SELECT id FROM ValidPaths WHERE path = ?)",
                        arguments: [path])
                }
                for path in full {
                    try db.execute(sql: "DELETE FROM ValidPaths WHERE path = ?", arguments: [path])
                }
                return .commit
            }
        }
    }
}

/// Roots recorded in the database: explicit ones (`store add-root`) and those other layers
/// register (project and profile generations).
extension StoreDatabase {
    func addRoots(_ paths: [StorePath], kind: RootKind, owner: String) throws {
        let created = Int64(Date().timeIntervalSince1970)
        try pool.write { db in
            for path in paths {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO Roots (path, kind, owner, created) VALUES (?, ?, ?, ?)",
                    arguments: [storeDirectory.fullPath(of: path), kind.rawValue, owner, created])
            }
        }
    }

    /// Removes roots of `kind`, all of them for `owner` or only `path`'s.
    func removeRoots(kind: RootKind, owner: String? = nil, path: StorePath? = nil) throws {
        let full = path.map(storeDirectory.fullPath(of:))
        try pool.write { db in
            try db.execute(
                sql: "DELETE FROM Roots WHERE kind = ? AND (? IS NULL OR owner = ?) AND (? IS NULL OR path = ?)",
                arguments: [kind.rawValue, owner, owner, full, full])
        }
    }

    func roots() throws -> [StoreRoot] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT path, kind, owner, created FROM Roots ORDER BY kind, owner, path")
                .compactMap { row in
                    guard let path = try? storeDirectory.storePath(parsing: row["path"]),
                        let kind = RootKind(rawValue: row["kind"])
                    else { return nil }
                    return StoreRoot(path: path, kind: kind, owner: row["owner"], created: row["created"])
                }
        }
    }

    /// The reference graph of every valid path: id, path, NAR size and the ids it references.
    func graph() throws -> [(path: StorePath, narSize: UInt64, references: [Int64], id: Int64)] {
        try pool.read { db in
            var references: [Int64: [Int64]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT referrer, reference FROM Refs") {
                references[row[0], default: []].append(row[1])
            }
            return try Row.fetchAll(db, sql: "SELECT id, path, narSize FROM ValidPaths").compactMap { row in
                guard let path = try? storeDirectory.storePath(parsing: row["path"]) else { return nil }
                let id: Int64 = row["id"]
                return (path, UInt64(row["narSize"] as Int64), references[id] ?? [], id)
            }
        }
    }
}
