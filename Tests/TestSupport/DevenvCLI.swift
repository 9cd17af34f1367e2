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

    public init(home: String) { self.home = home }

    /// The environment the CLI runs with: the caller's, with this DEVENV_HOME and no store override.
    public var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DEVENV_HOME"] = home
        environment["DEVENV_STORE_DIR"] = nil
        return environment
    }

    /// The store directory the CLI uses.
    public var storeDirectory: String { home + "/store" }

    @discardableResult
    public func callAsFunction(_ arguments: String..., input: Data? = nil) throws -> CommandResult {
        try runCommand(DevenvCLI.binary, arguments, input: input, environment: environment)
    }

    /// Starts the CLI without waiting for it.
    public func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DevenvCLI.binary)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
