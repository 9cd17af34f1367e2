import DevenvBasics
import Foundation

/// Where a flake input comes from, in the attribute form flake.lock's `original` holds (Nix 2.8's
/// `FlakeRef::toAttrs`): `path:DIR` is `{ type = "path"; path = DIR; }`, `git+URL?ref=…&rev=…` is
/// `{ type = "git"; url; ref; rev; }`, `github:OWNER/REPO/REF` is `{ type = "github"; owner; repo;
/// ref; }`, an `http(s)://` or `file://` URL of an archive is `{ type = "tarball"; url; }`, and a
/// bare name (`nixpkgs`, `flake:nixpkgs`) is `{ type = "indirect"; id; }` (`../shared/docs/nix-formats.md` §6.3).
struct FlakeReference: Hashable {
    var attributes: [String: CanonicalJSON]

    init(attributes: [String: CanonicalJSON]) throws {
        self.attributes = attributes
        let allowed: Set<String>
        switch type {
        case "path": allowed = ["path", "dir", "rev", "revCount", "lastModified", "narHash"]
        case "git": allowed = ["url", "ref", "rev", "dir", "revCount", "lastModified", "narHash"]
        case "github": allowed = ["owner", "repo", "ref", "rev", "dir", "host", "lastModified", "narHash"]
        case "tarball": allowed = ["url", "narHash", "dir"]
        case "indirect": allowed = ["id", "ref", "rev", "dir"]
        default: throw ManifestError("input type '\(type)' is not one devenv fetches (path, git, github, tarball)")
        }
        if let unknown = attributes.keys.sorted().first(where: { $0 != "type" && !allowed.contains($0) }) {
            throw ManifestError("a \(type) input has no attribute '\(unknown)'")
        }
        let required: [String] =
            switch type {
            case "path": ["path"]
            case "git", "tarball": ["url"]
            case "github": ["owner", "repo"]
            default: ["id"]
            }
        for name in required where string(name)?.isEmpty ?? true {
            throw ManifestError("a \(type) input needs '\(name)'")
        }
        if let dir = string("dir"), dir.hasPrefix("/") || dir.split(separator: "/").contains("..") {
            throw ManifestError("dir '\(dir)' is not a directory inside the input")
        }
        if type == "path", let path = string("path"), !path.hasPrefix("/"), path.split(separator: "/").contains("..") {
            throw ManifestError("path '\(path)' points outside the flake that declares it")
        }
        if let rev = string("rev"), rev.count != 40 || !rev.allSatisfy(\.isHexDigit) {
            throw ManifestError("rev '\(rev)' is not a full 40-digit commit id")
        }
    }

    /// A reference as `url` writes it.
    init(url: String) throws {
        let (base, query) = FlakeReference.split(url)
        var attributes: [String: CanonicalJSON] = [:]
        func take(_ names: [String]) throws {
            for (key, value) in query {
                guard names.contains(key) else { throw ManifestError("'\(url)': unknown parameter '\(key)'") }
                attributes[key] = .string(value)
            }
        }
        if base.hasPrefix("/") || base.hasPrefix(".") {
            // Nix makes a bare path a git input when it is in a repository, else a path of the store.
            throw ManifestError("write '\(url)' as path:\(url) (or git+file://…)")
        } else if base.hasPrefix("path:") {
            attributes = ["type": .string("path"), "path": .string(String(base.dropFirst(5)))]
            try take(["rev", "narHash", "dir"])
        } else if base.hasPrefix("git+") {
            attributes = ["type": .string("git"), "url": .string(String(base.dropFirst(4)))]
            try take(["ref", "rev", "dir"])
        } else if base.hasPrefix("github:") {
            let parts = base.dropFirst(7).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3, !parts.contains("") else {
                throw ManifestError("'\(url)' is not github:OWNER/REPO or github:OWNER/REPO/REF")
            }
            attributes = ["type": .string("github"), "owner": .string(parts[0]), "repo": .string(parts[1])]
            if parts.count == 3 {
                let isRev = parts[2].count == 40 && parts[2].allSatisfy(\.isHexDigit)
                attributes[isRev ? "rev" : "ref"] = .string(parts[2])
            }
            try take(["ref", "rev", "dir", "host"])
        } else if ["https://", "http://", "file://"].contains(where: base.hasPrefix) {
            guard FlakeReference.archiveSuffixes.contains(where: base.hasSuffix) else {
                throw ManifestError(
                    "'\(url)' is not an archive (\(FlakeReference.archiveSuffixes.joined(separator: " ")))")
            }
            attributes = ["type": .string("tarball"), "url": .string(url)]
        } else if base.hasPrefix("flake:")
            || base.allSatisfy({ $0.isLetter || $0.isNumber || "-_".contains($0) })
                && !base.isEmpty
        {
            let parts = base.replacingOccurrences(of: "flake:", with: "").split(separator: "/").map(String.init)
            guard parts.count == 1 || parts.count == 2 else { throw ManifestError("'\(url)' is not a flake name") }
            attributes = ["type": .string("indirect"), "id": .string(parts[0])]
            if parts.count == 2 { attributes["ref"] = .string(parts[1]) }
        } else {
            throw ManifestError(
                "'\(url)' is not an input devenv fetches (path:, git+, github:, an archive's URL, or a name)")
        }
        try self.init(attributes: attributes)
    }

    /// What Nix 2.8 takes for an archive, by the URL's end.
    static let archiveSuffixes = [".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst"]

    private static func split(_ url: String) -> (String, [(String, String)]) {
        guard let question = url.firstIndex(of: "?") else { return (url, []) }
        let query = url[url.index(after: question)...].split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).removingPercentEncoding ?? String($0)
            }
            return (parts[0], parts.count == 2 ? parts[1] : "")
        }
        return (String(url[..<question]), query)
    }

    var type: String { string("type") ?? "" }

    func string(_ name: String) -> String? {
        if case .string(let value)? = attributes[name] { return value }
        return nil
    }

    /// The form people write.
    var url: String {
        switch type {
        case "path": return "path:" + (string("path") ?? "")
        case "git": return "git+" + (string("url") ?? "")
        case "github":
            return "github:\(string("owner") ?? "")/\(string("repo") ?? "")"
                + ((string("rev") ?? string("ref")).map { "/" + $0 } ?? "")
        case "tarball": return string("url") ?? ""
        default: return string("id") ?? ""
        }
    }

    /// Which of devenv's own inputs this reference means, if any, by the repository it names:
    /// nixpkgs (devenv's package set, whatever it pins; also a nixos.org channel), flake-utils,
    /// or a list of nix-systems. A `path:` input is always the directory.
    var builtin: FlakeBuiltin? {
        let repository: String
        switch type {
        case "github": repository = string("repo")!
        case "git", "tarball":
            let url = string("url")!.lowercased()
            if ["nixos.org/channels/", "channels.nixos.org/", "/nixos/nixpkgs/"].contains(where: url.contains) {
                return .nixpkgs
            }
            if url.contains("/numtide/flake-utils/") { return .flakeUtils }
            let last = url.prefix { $0 != "?" }.split(separator: "/").last.map(String.init) ?? ""
            repository = (FlakeReference.archiveSuffixes + [".git"]).reduce(last) { name, suffix in
                name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : name
            }
        case "indirect": repository = string("id")!
        default: return nil
        }
        switch repository {
        case "nixpkgs": return .nixpkgs
        case "flake-utils": return .flakeUtils
        case "systems" where type == "indirect": return .systems(FlakeBuiltin.systemLists["default"]!)
        default:
            guard type == "github", string("owner") == "nix-systems", let systems = FlakeBuiltin.systemLists[repository]
            else { return nil }
            return .systems(systems)
        }
    }
}

/// The inputs devenv gives a flake itself instead of fetching them.
enum FlakeBuiltin: Hashable {
    case nixpkgs
    case flakeUtils
    /// One of nix-systems' repositories (`github:nix-systems/default`): `import` of it is the list.
    case systems([String])

    /// nix-systems' repositories and the systems each lists.
    static let systemLists: [String: [String]] = [
        "default": ["aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux"],
        "default-linux": ["aarch64-linux", "x86_64-linux"],
        "default-darwin": ["aarch64-darwin", "x86_64-darwin"],
        "x86_64-linux": ["x86_64-linux"],
        "aarch64-linux": ["aarch64-linux"],
        "x86_64-darwin": ["x86_64-darwin"],
        "aarch64-darwin": ["aarch64-darwin"],
    ]
}
