/// A binary cache, key or narinfo that is not what it must be; `description` is the one-line message.
public struct CacheError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
