/// A problem with a project; `description` is the one-line message.
public struct ProjectError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// A mistake in `devenv.toml` itself, reported as `devenv.toml:LINE:COLUMN: message`; the CLI
/// exits with status 2 for these.
public struct ManifestError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
