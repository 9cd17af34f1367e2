import DevenvBasics
import DevenvStore
import Foundation

/// The built `devenv` executable, run with its own `DEVENV_HOME`.
public struct DevenvCLI: Sendable {
    /// `$DEVENV_BIN`, else the `devenv` next to the test bundle (both are build products).
    public static let binary: String = {
        if let explicit = ProcessInfo.processInfo.environment["DEVENV_BIN"] { return explicit }
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            products.appendingPathComponent("devenv").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/devenv").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    public let home: String
    /// Variables set on top of the caller's environment.
    public var extraEnvironment: [String: String]

    public init(home: String, environment: [String: String] = [:]) {
        self.home = home
        extraEnvironment = environment
    }

    /// The environment the CLI runs with: the caller's, with this DEVENV_HOME, no store override,
    /// no user configuration unless the test names one, and `extraEnvironment`.
    public var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DEVENV_HOME"] = home
        environment["DEVENV_STORE_DIR"] = nil
        environment["DEVENV_CONFIG"] = home + "/config.toml"
        environment.merge(extraEnvironment) { _, new in new }
        return environment
    }

    /// The store directory the CLI uses.
    public var storeDirectory: String {
        StoreLocation(home: home, storeDirectory: extraEnvironment["DEVENV_STORE_DIR"]).storeDirectory.path
    }

    @discardableResult
    public func callAsFunction(_ arguments: String..., input: Data? = nil) throws -> CommandResult {
        try runCommand(DevenvCLI.binary, arguments, input: input, environment: environment)
    }

    /// Starts the CLI without waiting for it.
    public func start(_ arguments: [String]) throws -> ChildProcess {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        return try ChildProcess(
            DevenvCLI.binary, arguments, environment: environment,
            streams: Subprocess.Streams(input: null, output: null, error: null))
    }
}
