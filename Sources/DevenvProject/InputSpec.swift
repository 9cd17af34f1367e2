import Foundation

/// Where a package set comes from, as `[inputs]` writes it: `builtin` (the set embedded in the
/// binary), `git+URL?ref=…&rev=…` or `path:DIR` (relative to the project root). The one
/// declaration of the kinds of input: a new kind (a Debian suite, say) is a new case, and the
/// switches over it (resolving, the lock's checks, `devenv check`) say what else it needs.
public enum InputSpec: Hashable, Sendable, CustomStringConvertible {
    case builtin
    case git(url: String, ref: String?, rev: String?)
    case path(String)

    public init?(_ text: String) {
        if text == "builtin" {
            self = .builtin
        } else if text.hasPrefix("path:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { return nil }
            self = .path(path)
        } else if text.hasPrefix("git+") {
            var url = String(text.dropFirst(4))
            var ref: String?
            var rev: String?
            if let question = url.firstIndex(of: "?") {
                for pair in url[url.index(after: question)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { return nil }
                    switch parts[0] {
                    case "ref": ref = parts[1]
                    case "rev": rev = parts[1]
                    default: return nil
                    }
                }
                url = String(url[..<question])
            }
            guard !url.isEmpty else { return nil }
            self = .git(url: url, ref: ref, rev: rev)
        } else {
            return nil
        }
    }

    /// The lock's `type` for inputs of this kind.
    public var type: String {
        switch self {
        case .builtin: "builtin"
        case .git: "git"
        case .path: "path"
        }
    }

    /// The form it is written in.
    public var description: String {
        switch self {
        case .builtin: return "builtin"
        case .path(let path): return "path:\(path)"
        case .git(let url, let ref, let rev):
            let query = [ref.map { "ref=\($0)" }, rev.map { "rev=\($0)" }].compactMap { $0 }.joined(separator: "&")
            return "git+\(url)" + (query.isEmpty ? "" : "?\(query)")
        }
    }
}
