/// What a transfer asks of a server beyond a plain GET: headers (a bearer token, a signature),
/// a file to send as the body of a PUT, another method (an OCI registry's HEAD and POST).
public struct HTTPRequest: Sendable {
    /// `Name: value` lines.
    public var headers: [String]
    /// A file sent as the body of a PUT; nil: a GET.
    public var upload: String?
    /// `HEAD` or `POST` (with an empty body); nil: GET, or PUT with `upload`.
    public var method: String?
    /// Whether a redirect is followed. libcurl drops only `Authorization` and `Cookie` when a
    /// redirect leads to another host, so a request whose other headers hold a secret (S3's
    /// `x-amz-security-token`) must not follow one: the redirect is then a failure.
    public var followsRedirects: Bool

    public init(headers: [String] = [], upload: String? = nil, method: String? = nil, followsRedirects: Bool = true) {
        self.headers = headers
        self.upload = upload
        self.method = method
        self.followsRedirects = followsRedirects
    }
}

/// A server's answer to `URLFetcher.exchange`: any status, the headers (names lowercased) and
/// the body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
}
