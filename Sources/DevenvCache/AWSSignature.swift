import Crypto
import Foundation

/// AWS Signature Version 4 for S3 requests with the signature in the `Authorization` header
/// (docs.aws.amazon.com, "Signature Calculations for the Authorization Header").
public struct AWSSignature: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public var service = "s3"

    public init(credentials: AWSCredentials, region: String) {
        self.credentials = credentials
        self.region = region
    }

    /// The headers to send with a request for `path` (already URI-encoded, with its leading `/`)
    /// on `host` (with `:PORT` when the URL has one): `Host`, the ones given, `x-amz-date`,
    /// `x-amz-content-sha256` (`payload`: the hex SHA-256 of the body) and the session token, all
    /// signed, then `Authorization`.
    public func headers(
        method: String, host: String, path: String, query: String = "", payload: String,
        extra: [String: String] = [:], date: Date = Date()
    ) -> [String] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let stamp = formatter.string(from: date)
        let day = String(stamp.prefix(8))
        var signed = extra.reduce(into: [String: String]()) { $0[$1.key.lowercased()] = $1.value }
        signed["host"] = host
        signed["x-amz-date"] = stamp
        signed["x-amz-content-sha256"] = payload
        if let token = credentials.sessionToken { signed["x-amz-security-token"] = token }
        let names = signed.keys.sorted()
        let canonical = [
            method, path, query,
            names.map { "\($0):\(signed[$0]!.trimmingCharacters(in: .whitespaces))\n" }.joined(),
            names.joined(separator: ";"), payload,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", stamp, scope, Self.hex(SHA256.hash(data: Data(canonical.utf8)))]
            .joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: key))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(names.joined(separator: ";")), Signature=\(signature)"
        return names.map { "\($0): \(signed[$0]!)" } + ["Authorization: \(authorization)"]
    }

    /// The hex SHA-256 of no body, for GET.
    public static let emptyPayload = hex(SHA256.hash(data: Data()))

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
