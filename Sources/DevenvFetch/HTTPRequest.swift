/// What a transfer asks of a server beyond a plain GET: headers (a bearer token, a signature),
/// and a file to send as the body of a PUT.
public struct HTTPRequest: Sendable {
    /// `Name: value` lines.
    public var headers: [String]
    /// A file sent as the body of a PUT; nil: a GET.
    public var upload: String?

    public init(headers: [String] = [], upload: String? = nil) {
        self.headers = headers
        self.upload = upload
    }
}
