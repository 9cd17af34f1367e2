/// A failure of the operating system or of a program started (a file that cannot be read, a
/// process that cannot be started); `description` is the one-line message the CLI prints.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// A TOML file that is not what its reader expects; `description` is `file:line:column: …`
/// where the problem has a place.
public struct TOMLError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
