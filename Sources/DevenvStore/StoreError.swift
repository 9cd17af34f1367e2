/// A failure the user can act on; `description` is the one-line message the CLI prints.
public struct StoreError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
