import DevenvPackages

/// A package as a manifest asks for it: `nodejs_24`, `INPUT.NAME`, `NAME@VERSION-PREFIX`
/// (`go@1.24`: the newest go whose version starts with 1.24), or `debian:SUITE/PACKAGE` (a
/// package of Debian's archive, uncurated).
public struct PackageRequest: Hashable, Sendable, CustomStringConvertible {
    /// The input to look in; nil means the default input `pkgs`.
    public var input: String?
    public var name: String
    public var versionPrefix: String?
    /// The Debian package of a `debian:` request (`name` is then its package).
    public var debian: DebianSource.Reference?

    public static let defaultInput = "pkgs"

    public init?(_ text: String) {
        if text.hasPrefix("debian:") {
            guard let reference = DebianSource.Reference(text.dropFirst("debian:".count)) else { return nil }
            debian = reference
            name = reference.package
            return
        }
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") {
            versionPrefix = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
            guard versionPrefix?.isEmpty == false else { return nil }
        }
        if let dot = rest.firstIndex(of: ".") {
            input = String(rest[..<dot])
            rest = rest[rest.index(after: dot)...]
            guard input?.isEmpty == false else { return nil }
        }
        guard !rest.isEmpty, !rest.contains("."), !rest.contains(" ") else { return nil }
        name = String(rest)
    }

    /// What the lock names as the package's input: `debian:SUITE` for a Debian package.
    public var inputName: String { debian.map { "debian:" + $0.suite } ?? input ?? PackageRequest.defaultInput }

    /// A request for a package of the set itself (`NAME` or `NAME@VERSION`, no input) or of
    /// Debian's archive (`debian:SUITE/PACKAGE`), as the profile, `build` and ad-hoc environments
    /// take them.
    public static func ofTheSet(_ text: String) throws -> PackageRequest {
        guard let request = PackageRequest(text), request.input == nil || request.debian != nil else {
            throw ProjectError("'\(text)' is not a package (NAME or NAME@VERSION of the set, or debian:SUITE/PACKAGE)")
        }
        return request
    }

    public var description: String {
        if let debian { return "debian:\(debian)" }
        return (input.map { "\($0)." } ?? "") + name + (versionPrefix.map { "@\($0)" } ?? "")
    }

    /// Whether `version` is `versionPrefix` or continues it at a component boundary
    /// (`1.24` matches `1.24.11`, not `1.240`).
    public static func version(_ version: String, matches prefix: String) -> Bool {
        version == prefix || version.hasPrefix(prefix + ".") || version.hasPrefix(prefix + "-")
            || version.hasPrefix(prefix + "+")
    }
}
