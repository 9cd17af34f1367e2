/// A fetch or unpack failure the user can act on; `description` is the one-line message.
public struct FetchError: Error, CustomStringConvertible, Equatable {
    public let description: String
    /// Whether every place asked answered that it has no such file (HTTP 404 or 410).
    public let isNotFound: Bool

    public init(_ description: String, isNotFound: Bool = false) {
        self.description = description
        self.isNotFound = isNotFound
    }
}
