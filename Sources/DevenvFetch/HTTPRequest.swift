/// What a transfer asks of a server beyond a plain GET: headers (a bearer token, a signature),
/// a file to send as the body of a PUT, another method (an OCI registry's HEAD and POST).
public struct HTTPRequest: Sendable {
    /// `Name: value` lines.
    public var headers: [String]
    /// A file sent as the body of a PUT; nil: a GET.
    public var upload: String?
    /// `HEAD` or `POST` (with an empty body); nil: GET, or PUT with `upload`.
    public var method: String?

    public init(headers: [String] = [], upload: String? = nil, method: String? = nil) {
        self.headers = headers
        self.upload = upload
        self.method = method
    }
}

/// A server's answer to `URLFetcher.exchange`: any status, the headers (names lowercased) and
/// the body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
}
