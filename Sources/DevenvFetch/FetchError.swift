/// A fetch or unpack failure the user can act on; `description` is the one-line message.
public struct FetchError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
