import DevenvFetch
import DevenvProject
import Foundation

/// Where an image is pushed: `HOST[:PORT]/REPOSITORY[:TAG]`.
public struct RegistryReference: Sendable, Equatable {
    public var host: String
    public var repository: String
    public var tag: String?

    public init(parsing text: String) throws {
        var rest = Substring(text)
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex else {
            throw ContainerError("'\(text)' is not HOST[:PORT]/REPOSITORY[:TAG]")
        }
        host = String(rest[..<slash])
        rest = rest[rest.index(after: slash)...]
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        repository = String(rest)
        let hostAllowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]".utf8)
        guard !host.isEmpty, host.utf8.allSatisfy(hostAllowed.contains) else {
            throw ContainerError("'\(host)' in '\(text)' is not a registry host")
        }
        guard !repository.isEmpty,
            repository.split(separator: "/", omittingEmptySubsequences: false).allSatisfy({
                ContainerSpec.isName(String($0))
            })
        else {
            throw ContainerError(
                "'\(repository)' in '\(text)' is not a repository (lowercase letters, digits, '.', '_', '-', parts joined by '/')"
            )
        }
        if let tag, !ContainerSpec.isTag(tag) { throw ContainerError("'\(tag)' in '\(text)' is not a tag") }
    }
}

/// Pushes an image with the OCI distribution API (v2): each blob the registry lacks is sent
/// (a POST opens an upload, a PUT with the digest finishes it), then the manifest under the tag.
/// Registries that answer 401 are given basic credentials, or a bearer token fetched from the
/// realm their `WWW-Authenticate` names (with the basic credentials, when there are any).
public struct RegistryClient {
    public enum Credentials: Sendable {
        case basic(String, String)
        case token(String)

        /// A token in `DEVENV_REGISTRY_TOKEN`, else `username` with the password in
        /// `DEVENV_REGISTRY_PASSWORD`, else none.
        public static func from(_ environment: [String: String], username: String?) -> Credentials? {
            if let token = environment["DEVENV_REGISTRY_TOKEN"] { return .token(token) }
            return username.map { .basic($0, environment["DEVENV_REGISTRY_PASSWORD"] ?? "") }
        }
    }

    public let reference: RegistryReference
    public let insecure: Bool
    public let credentials: Credentials?
    private let fetcher: URLFetcher
    private let authorization = Authorization()

    public init(
        reference: RegistryReference, insecure: Bool, credentials: Credentials?, fetcher: URLFetcher
    ) {
        self.reference = reference
        self.insecure = insecure
        self.credentials = credentials
        self.fetcher = fetcher
        if case .token(let token) = credentials { authorization.header = "Authorization: Bearer \(token)" }
    }

    private var base: String { "\(insecure ? "http" : "https")://\(reference.host)/v2/\(reference.repository)" }

    /// Pushes `image` as `tag`; how many blobs were sent of how many the image has.
    public func push(_ image: ContainerImage, tag: String) throws -> (sent: Int, blobs: Int) {
        let digests = image.layers.map(\.digest) + [image.configDigest]
        var sent = 0
        for digest in digests {
            let answer = try send("\(base)/blobs/\(digest)", HTTPRequest(method: "HEAD"))
            if answer.status == 200 { continue }
            guard answer.status == 404 else { throw failure("HEAD", "\(base)/blobs/\(digest)", answer) }
            try upload(image.blobs.file(of: digest), digest: digest)
            sent += 1
        }
        let url = "\(base)/manifests/\(tag)"
        let file = try temporaryFile(image.manifest)
        defer { unlink(file) }
        let answer = try send(
            url, HTTPRequest(headers: ["Content-Type: \(ContainerImage.manifestMediaType)"], upload: file))
        guard answer.status == 201 || answer.status == 200 else { throw failure("PUT", url, answer) }
        return (sent, digests.count)
    }

    private func upload(_ file: String, digest: String) throws {
        let start = try send("\(base)/blobs/uploads/", HTTPRequest(method: "POST"))
        guard start.status == 202, let location = start.headers["location"] else {
            throw failure("POST", "\(base)/blobs/uploads/", start)
        }
        // The location may be relative to the registry, and may have a query already.
        let absolute =
            location.hasPrefix("/") ? "\(insecure ? "http" : "https")://\(reference.host)\(location)" : location
        // Where the layer is written: a web address, never a `file://` one (libcurl would write
        // the layer over that file), nor plain HTTP unless the registry is reached that way.
        guard isWebURL(absolute) else {
            throw ContainerError(
                "the registry \(reference.host) names '\(absolute)' for an upload, which is not an https:// URL")
        }
        let url = absolute + (absolute.contains("?") ? "&" : "?") + "digest=\(digest)"
        let done = try send(url, HTTPRequest(headers: ["Content-Type: application/octet-stream"], upload: file))
        guard done.status == 201 else { throw failure("PUT", url, done) }
    }

    /// Sends a request, and again with credentials when the registry asks for them.
    /// Credentials go only to the registry itself: an upload's `Location` may name another host
    /// (a registry's storage), which gets none, as Docker's client does.
    private func send(_ url: String, _ request: HTTPRequest) throws -> HTTPResponse {
        let own = isRegistry(url)
        var asked = request
        if own, let header = authorization.header { asked.headers.append(header) }
        let answer = try fetcher.exchange(url, request: asked)
        guard own, answer.status == 401, let challenge = answer.headers["www-authenticate"] else { return answer }
        guard let header = try authorize(challenge), header != authorization.header else { return answer }
        authorization.header = header
        var again = request
        again.headers.append(header)
        return try fetcher.exchange(url, request: again)
    }

    /// Whether a URL a registry names is one to send to: HTTPS, or HTTP with `--insecure`; never
    /// another scheme (libcurl would read or write a `file://` one).
    private func isWebURL(_ url: String) -> Bool {
        let url = url.lowercased()
        return url.hasPrefix("https://") || (insecure && url.hasPrefix("http://"))
    }

    /// The `Authorization` header a challenge asks for, or nil when there are no credentials.
    private func authorize(_ challenge: String) throws -> String? {
        let basic: String? = {
            guard case .basic(let user, let password) = credentials else { return nil }
            return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }()
        if challenge.lowercased().hasPrefix("basic") { return basic.map { "Authorization: \($0)" } }
        guard challenge.lowercased().hasPrefix("bearer") else { return nil }
        let parameters = RegistryClient.parameters(of: String(challenge.dropFirst("bearer".count)))
        guard let realm = parameters["realm"] else { return nil }
        // The realm gets the basic credentials: only over HTTPS (HTTP with --insecure), never a file.
        guard isWebURL(realm) else {
            throw ContainerError(
                "the registry \(reference.host) names the token service '\(realm)', which is not an https:// URL; devenv sends it no credentials"
            )
        }
        var query: [String] = []
        if let service = parameters["service"] { query.append("service=\(RegistryClient.escaped(service))") }
        query.append(
            "scope=" + RegistryClient.escaped(parameters["scope"] ?? "repository:\(reference.repository):pull,push"))
        let url = realm + (realm.contains("?") ? "&" : "?") + query.joined(separator: "&")
        let answer = try fetcher.exchange(
            url, request: HTTPRequest(headers: basic.map { ["Authorization: \($0)"] } ?? []))
        guard answer.status == 200,
            let object = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
            let token = (object["token"] ?? object["access_token"]) as? String
        else { throw failure("GET", realm, answer) }
        return "Authorization: Bearer \(token)"
    }

    /// Whether `url` is on the registry's host and port.
    private func isRegistry(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let host = components.host else { return false }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let named = components.port.map { "\(bracketed):\($0)" } ?? bracketed
        return named.lowercased() == reference.host.lowercased()
            && components.scheme?.lowercased() == (insecure ? "http" : "https")
    }

    /// `realm="…",service="…"` → its parameters.
    static func parameters(of text: String) -> [String: String] {
        var result: [String: String] = [:]
        var rest = Substring(text).drop { $0 == " " }
        while let equals = rest.firstIndex(of: "=") {
            let name = rest[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: " ,")).lowercased()
            rest = rest[rest.index(after: equals)...]
            let value: Substring
            if rest.first == "\"" {
                rest = rest.dropFirst()
                let end = rest.firstIndex(of: "\"") ?? rest.endIndex
                value = rest[..<end]
                rest = end < rest.endIndex ? rest[rest.index(after: end)...] : ""
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end]
                rest = rest[end...]
            }
            result[name] = String(value)
            rest = rest.drop { $0 == "," || $0 == " " }
        }
        return result
    }

    static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(
                charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }

    private func failure(_ method: String, _ url: String, _ answer: HTTPResponse) -> ContainerError {
        let body = String(decoding: answer.body.prefix(300), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let why =
            answer.status == 401 || answer.status == 403
            ? " (credentials: --username with DEVENV_REGISTRY_PASSWORD, or DEVENV_REGISTRY_TOKEN)" : ""
        return ContainerError("\(method) \(url): HTTP \(answer.status)\(why)\(body.isEmpty ? "" : ": \(body)")")
    }

    private func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "/devenv-manifest-\(getpid())-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw ContainerError("cannot write \(path)")
        }
        return path
    }
}

/// The header that worked, kept for the following requests of a push.
private final class Authorization: @unchecked Sendable {
    var header: String?
}
