import Foundation

/// Where devenv keeps its state: `$DEVENV_HOME` (default `$XDG_DATA_HOME/devenv`, else
/// `~/.local/share/devenv`), the store (`$DEVENV_STORE_DIR`, default `$DEVENV_HOME/store___…`,
/// padded) and the database (`$DEVENV_HOME/db.sqlite`).
public struct StoreLocation: Sendable {
    public let home: String
    public let storeDirectory: StoreDirectory
    public var databasePath: String { home + "/db.sqlite" }

    /// The length every default store directory is padded to: programs embed their store
    /// directory, and a binary cache's paths are rewritten from one store directory into another
    /// only where the two have the same length (docs/store.md).
    public static let paddedLength = 96

    public init(home: String, storeDirectory: String? = nil) {
        self.home = StoreLocation.absolute(home)
        self.storeDirectory = StoreDirectory(
            StoreLocation.absolute(storeDirectory ?? StoreLocation.defaultStoreDirectory(home: self.home)))
    }

    /// `HOME/store` padded with `_` to `paddedLength` bytes; unpadded where `HOME` is too long,
    /// or where a store made before padding is already there (its paths keep their names).
    static func defaultStoreDirectory(home: String) -> String {
        let unpadded = home + "/store"
        let missing = paddedLength - unpadded.utf8.count
        guard missing > 0, !FileManager.default.fileExists(atPath: unpadded) else { return unpadded }
        return unpadded + String(repeating: "_", count: missing)
    }

    /// The location the environment variables name.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> StoreLocation
    {
        let home: String
        if let explicit = environment["DEVENV_HOME"], !explicit.isEmpty {
            home = explicit
        } else if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            home = data + "/devenv"
        } else {
            home = (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/devenv"
        }
        let store = environment["DEVENV_STORE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        return StoreLocation(home: home, storeDirectory: store)
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
