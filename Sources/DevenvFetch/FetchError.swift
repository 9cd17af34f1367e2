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

/// A download that went past the size its caller allowed (what a hostile server sends to fill
/// the disk); stopped there, and not tried again.
public struct DownloadTooLarge: Error, CustomStringConvertible {
    public let url: String
    public let limit: UInt64

    public var description: String { "\(url): larger than \(limit) bytes" }
}
