import DevenvBuild
import DevenvStore

/// Where an image holds its store paths and what each path of the closure is called there.
/// Outputs embed their store directory (interpreters, RUNPATHs, `#!` lines), so the image holds
/// them under a directory of the same length as the host's, with every path renamed as the
/// binary cache renames paths between stores (`StoreRewrite`). That directory is `/devenv/store`
/// padded with `_` to the host's length: every default store is 96 bytes long, so the same lock
/// gives the same image whoever builds it. A store directory shorter than `/devenv/store` (such
/// as `/nix/store`) is kept as it is.
public struct ImagePaths: Sendable {
    public static let base = "/devenv/store"

    public let host: StoreDirectory
    public let image: StoreDirectory
    /// Each path of the closure → its name in `image`.
    public let names: [StorePath: StorePath]
    /// nil when the image keeps the host's directory.
    let rewrite: StoreRewrite?

    /// The image's store directory for a host store directory.
    public static func imageDirectory(for host: StoreDirectory) -> StoreDirectory {
        let length = host.path.utf8.count
        guard length >= base.utf8.count else { return host }
        return StoreDirectory(base + String(repeating: "_", count: length - base.utf8.count))
    }

    /// Names `closure` (each path after what it references) in the image's directory: an
    /// output of `derivations` (or of one below them) by the same derivation there, a
    /// content-addressed path by its content and its references' names there.
    public init(host: StoreDirectory, closure: [PathInfo], derivations: [Derivation]) throws {
        self.host = host
        image = ImagePaths.imageDirectory(for: host)
        guard image != host else {
            names = Dictionary(uniqueKeysWithValues: closure.map { ($0.path, $0.path) })
            rewrite = nil
            return
        }
        let outputs = try Derivation.outputCounterparts(of: derivations, in: host, there: image)
        var names: [StorePath: StorePath] = [:]
        for info in closure {
            if let name = outputs[info.path] {
                names[info.path] = name
                continue
            }
            guard let address = info.contentAddress else {
                throw ContainerError(
                    "\(host.fullPath(of: info.path)) is neither an output of the image's packages nor content-addressed, so it has no name in the image"
                )
            }
            let others = info.references.filter { $0 != info.path }
            guard others.allSatisfy({ names[$0] != nil }) else {
                throw ContainerError("\(host.fullPath(of: info.path)) references a path outside the closure")
            }
            names[info.path] = try image.path(
                for: address, name: info.path.name, references: others.map { names[$0]! },
                selfReference: others.count != info.references.count)
        }
        self.names = names
        rewrite = try StoreRewrite(from: host, to: image, paths: names)
    }

    /// The full path in the image of a host path (a store path or a file inside one).
    public func imagePath(of hostPath: String) -> String {
        rewrite?.rewrite(hostPath) ?? hostPath
    }

    /// A file's or a link target's bytes as the image holds them.
    func rewritten(_ bytes: inout [UInt8]) {
        rewrite?.rewrite(&bytes)
    }
}
