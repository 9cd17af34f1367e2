/// A build that could not be done; `description` is the message, log excerpt included.
public struct BuildError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
