import DevenvFetch
import Foundation

/// A binary cache in an S3 bucket, as Nix names one: `s3://BUCKET?region=R&endpoint=HOST[:PORT]
/// &scheme=http|https&profile=P`. With an endpoint (an S3-compatible server), objects are
/// addressed by path (`SCHEME://HOST/BUCKET/KEY`); without, AWS's own
/// (`https://BUCKET.s3.REGION.amazonaws.com/KEY`). Requests are signed with Signature Version 4
/// when there are credentials (`AWSCredentials`).
public struct S3Bucket: Sendable, Equatable {
    public let bucket: String
    public let region: String
    /// `host[:port]` the requests go to.
    let host: String
    let scheme: String
    /// Whether the bucket is the first part of the path (an endpoint) or of the host (AWS).
    let pathStyle: Bool
    let profile: String?

    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        // Quoted with its control characters escaped: a project's devenv.toml may name it.
        let shown = url.debugDescription
        guard let components = URLComponents(string: url), components.scheme == "s3", let bucket = components.host,
            S3Bucket.isBucketName(bucket), components.path.isEmpty || components.path == "/"
        else {
            throw CacheError("\(shown) is not an S3 cache (s3://BUCKET?region=…&endpoint=…)")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard ["region", "endpoint", "scheme", "profile"].contains(item.name), let value = item.value,
                !value.isEmpty, query[item.name] == nil
            else {
                throw CacheError(
                    "\(shown): \(item.name.debugDescription) is not a setting of an S3 cache (region, endpoint, scheme, profile)"
                )
            }
            query[item.name] = value
        }
        self.bucket = bucket
        region = query["region"] ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        profile = query["profile"]
        var scheme = query["scheme"] ?? "https"
        if var endpoint = query["endpoint"] {
            // `endpoint=http://host:port` says the scheme too.
            for prefix in ["http://", "https://"] where endpoint.hasPrefix(prefix) {
                scheme = String(prefix.dropLast(3))
                endpoint = String(endpoint.dropFirst(prefix.count))
            }
            while endpoint.hasSuffix("/") { endpoint.removeLast() }
            // A host name or IPv4 address, and a port: nothing that could make the URL mean another.
            let parts = endpoint.split(separator: ":", omittingEmptySubsequences: false)
            guard let name = parts.first, !name.isEmpty, parts.count <= 2,
                name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }),
                parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy({ $0.isASCII && $0.isNumber }))
            else {
                throw CacheError("\(shown): the endpoint must be HOST or HOST:PORT")
            }
            host = endpoint
            pathStyle = true
        } else {
            host = "\(bucket).s3.\(region).amazonaws.com"
            pathStyle = false
        }
        guard ["http", "https"].contains(scheme) else { throw CacheError("\(shown): the scheme must be http or https") }
        guard region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw CacheError("\(shown): \(region.debugDescription) is not a region")
        }
        self.scheme = scheme
    }

    /// S3's rule for bucket names: 3–63 lowercase letters, digits, `.` and `-`.
    static func isBucketName(_ name: String) -> Bool {
        (3...63).contains(name.utf8.count)
            && name.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: ".")
                    || $0 == UInt8(ascii: "-")
            }
    }

    /// The path of the object `key` (a relative path of plain names, as a cache has).
    func path(of key: String) -> String { (pathStyle ? "/\(bucket)/" : "/") + key }

    /// The URL of the object `key`.
    public func url(of key: String) -> String { "\(scheme)://\(host)\(path(of: key))" }

    /// A request for `key` (`payload`: the hex SHA-256 of what is sent), signed when there are
    /// credentials. It follows no redirect, as AWS's own clients do not: the signature is for
    /// this host only, and the session token in its headers would go on to the next.
    func request(
        _ method: String, key: String, payload: String = AWSSignature.emptyPayload, environment: [String: String]
    ) throws -> HTTPRequest {
        let headers = try AWSCredentials.find(profile: profile, environment: environment).map {
            AWSSignature(credentials: $0, region: region).headers(
                method: method, host: host, path: path(of: key), payload: payload)
        }
        return HTTPRequest(headers: headers ?? [], followsRedirects: false)
    }
}
