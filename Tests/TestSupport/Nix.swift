import Foundation

/// The real Nix (2.8, from Debian's nix-bin): the oracle for NAR bytes, hashes and store paths.
public enum Nix {
    /// `nix-store --dump path`.
    public static func dump(_ path: String) throws -> Data {
        try checked("/usr/bin/nix-store", ["--dump", path]).stdout
    }

    /// `nix-hash --type sha256 path` (base16 NAR hash), reading the tree in a streaming way.
    public static func narHash(_ path: String) throws -> String {
        try checked("/usr/bin/nix-hash", ["--type", "sha256", path]).output
    }

    /// `nix-store --add` into a private store whose directory is `storeDirectory`.
    public static func add(_ path: String, storeDirectory: String, state: String) throws -> String {
        try checked(
            "/usr/bin/nix-store",
            ["--store", "local?store=\(storeDirectory)&state=\(state)&log=\(state)/log", "--add", path]
        ).output
    }

    /// `nix-store --add-fixed [--recursive] algo path` into a private store.
    public static func addFixed(
        _ path: String, algorithm: String, recursive: Bool, storeDirectory: String, state: String
    ) throws -> String {
        try checked(
            "/usr/bin/nix-store",
            ["--store", "local?store=\(storeDirectory)&state=\(state)&log=\(state)/log", "--add-fixed"]
                + (recursive ? ["--recursive"] : []) + [algorithm, path]
        ).output
    }

    /// `nix-instantiate ARGUMENTS` run as the language tests run it (a dummy store, a private
    /// home): standard output, standard error and status, whether it failed or not.
    public static func instantiate(_ arguments: [String], in directory: String? = nil) throws -> CommandResult {
        let scratch = FileManager.default.temporaryDirectory.path + "/devenv-test-nix-instantiate"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        for name in ["HOME", "XDG_CACHE_HOME", "NIX_STATE_DIR", "NIX_LOG_DIR"] { environment[name] = scratch }
        environment["NIX_REMOTE"] = "dummy://"
        environment["NIX_PATH"] = nil
        return try runCommand(
            "/usr/bin/nix-instantiate", arguments, environment: environment, currentDirectory: directory)
    }

    private static func checked(_ executable: String, _ arguments: [String]) throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = FileManager.default.temporaryDirectory.path + "/devenv-test-nix-cache"
        let result = try runCommand(executable, arguments, environment: environment)
        guard result.status == 0 else {
            throw CommandFailure(description: "\(executable) \(arguments) exited \(result.status): \(result.stderr)")
        }
        return result
    }
}
