import DevenvBasics

/// `[containers.NAME]`: an OCI image made of some of the project's locked packages and project
/// files (docs/containers.md). The image holds what it runs, not the development shell.
public struct ContainerSpec: Sendable, Equatable, Codable {
    /// Project files put in the image: `from` (a path inside the project) becomes a store path of
    /// its own, which `to` (an absolute path in the image) links to.
    public struct Copy: Sendable, Equatable, Codable {
        public var from: String
        public var to: String
    }

    /// The image's name (its repository in tags and registries).
    public var name: String
    /// What the project calls it: `[containers.KEY]` (where it is the name too) or flake.nix's
    /// `packages.<system>.KEY`. Its lock entry and its layout in `.devenv/containers` go by it.
    public var key: String
    /// Package requests as written; nil: the default shell's packages. The lock pins them as the
    /// shell `lockName` (a name no `[shells.NAME]` can have).
    public var packages: [String]?
    /// Where each package request is written, for messages.
    public var locations: [String: String] = [:]
    /// Where each copy's `from` is written, for messages.
    public var copyLocations: [String: String] = [:]
    public var cmd: [String] = []
    public var entrypoint: [String] = []
    public var env: [String: String] = [:]
    public var workdir: String?
    public var user: String?
    /// `PORT/PROTOCOL`, as the image config's `ExposedPorts` has them.
    public var ports: [String] = []
    public var labels: [String: String] = [:]
    public var copy: [Copy] = []
    public var tag: String = "latest"
    public var maxLayers: Int = 100

    public init(name: String, key: String? = nil, packages: [String]? = nil) {
        self.name = name
        self.key = key ?? name
        self.packages = packages
    }

    /// What the lock calls the packages of the container `name`.
    public static func lockName(_ name: String) -> String { "container:" + name }

    /// What an image's name may be: a repository path component of the distribution spec.
    public static func isName(_ name: String) -> Bool {
        guard let first = name.utf8.first, let last = name.utf8.last, name.utf8.count <= 128 else { return false }
        func isAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        return isAlphanumeric(first) && isAlphanumeric(last)
            && name.utf8.allSatisfy {
                isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
            }
    }

    /// What a tag may be (the distribution spec's rule).
    public static func isTag(_ tag: String) -> Bool {
        guard let first = tag.utf8.first, tag.utf8.count <= 128 else { return false }
        func isWord(_ byte: UInt8) -> Bool {
            (0x61...0x7A).contains(byte) || (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte)
                || byte == UInt8(ascii: "_")
        }
        return isWord(first) && tag.utf8.allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// The largest `max-layers`: Docker's overlay driver refuses images of more than 127 layers.
    public static let layerLimit = 125

    static func read(_ reader: TOMLTableReader, name: String) throws -> ContainerSpec {
        try reader.rejectUnknownKeys([
            "packages", "cmd", "entrypoint", "env", "workdir", "user", "ports", "labels", "copy", "tag", "max-layers",
        ])
        guard isName(name) else {
            throw reader.document.error(
                at: reader.path,
                "\(name.debugDescription) is not an image name (lowercase letters, digits, '.', '_' and '-', starting and ending with a letter or digit)"
            )
        }
        var spec = ContainerSpec(name: name, packages: try reader.strings("packages"))
        spec.cmd = try reader.strings("cmd") ?? []
        spec.entrypoint = try reader.strings("entrypoint") ?? []
        spec.env = try reader.variables("env") ?? [:]
        spec.labels = try reader.stringTable("labels") ?? [:]
        if let workdir = try reader.string("workdir") {
            guard ContainerSpec.isImagePath(workdir) || workdir == "/" else {
                throw reader.error("workdir", "'workdir' must be an absolute path without '.' or '..' components")
            }
            spec.workdir = workdir
        }
        if let user = try reader.string("user") {
            guard ContainerSpec.isUser(user) else {
                throw reader.error(
                    "user", "'user' must be NAME, UID, NAME:GROUP or UID:GID (letters, digits, '_' and '-')")
            }
            spec.user = user
        }
        if let tag = try reader.string("tag") {
            guard isTag(tag) else {
                throw reader.error(
                    "tag",
                    "'\(tag)' is not a tag (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')"
                )
            }
            spec.tag = tag
        }
        if let layers = try reader.integer("max-layers") {
            guard (2...layerLimit).contains(layers) else {
                throw reader.error("max-layers", "'max-layers' must be between 2 and \(layerLimit)")
            }
            spec.maxLayers = layers
        }
        if case .array(let items)? = reader.table["ports"] {
            for item in items {
                let text: String
                switch item {
                case .integer(let number): text = String(number)
                case .string(let value): text = value
                default: throw reader.error("ports", "'ports' must be numbers or strings such as \"8080/tcp\"")
                }
                guard let port = ContainerSpec.port(text) else {
                    throw reader.document.error(
                        at: reader.path + ["ports"], element: text,
                        "'\(text)' is not a port (a number 1-65535, optionally /tcp, /udp or /sctp)")
                }
                spec.ports.append(port)
            }
        } else if reader.table["ports"] != nil {
            throw reader.error("ports", "'ports' must be an array of numbers or strings")
        }
        if case .array(let items)? = reader.table["copy"] {
            for item in items {
                guard case .table(let members) = item else {
                    throw reader.error(
                        "copy", "'copy' must be an array of tables such as { from = \"dist\", to = \"/app\" }")
                }
                let entry = TOMLTableReader(reader.document, path: reader.path + ["copy"], table: members)
                try entry.rejectUnknownKeys(["from", "to"])
                let from = try entry.requiredString("from")
                let to = try entry.requiredString("to")
                guard ContainerSpec.isProjectPath(from) else {
                    throw reader.document.error(
                        at: reader.path + ["copy"], element: from,
                        "'\(from)' must be a relative path inside the project, without '..'")
                }
                guard ContainerSpec.isImagePath(to), !to.hasPrefix("/devenv/"), to != "/devenv" else {
                    throw reader.document.error(
                        at: reader.path + ["copy"], element: to,
                        "'\(to)' must be an absolute path in the image (not '/', not under /devenv), without '.' or '..'"
                    )
                }
                if let clash = ContainerSpec.clash(of: to, with: spec.copy.map(\.to)) {
                    throw reader.document.error(at: reader.path + ["copy"], element: to, clash)
                }
                spec.copy.append(Copy(from: from, to: to))
                spec.copyLocations[from] = reader.document.location(of: reader.path + ["copy"], element: from)
            }
            if let workdir = spec.workdir, let copy = spec.copy.first(where: { workdir.hasPrefix($0.to + "/") }) {
                throw reader.error(
                    "workdir", "'workdir' \(workdir) is inside the copy to \(copy.to), a store path that cannot change")
            }
        } else if reader.table["copy"] != nil {
            throw reader.error("copy", "'copy' must be an array of tables such as { from = \"dist\", to = \"/app\" }")
        }
        return spec
    }

    /// What the image's last layer makes itself: a copy may not be, hold or sit inside one.
    static let ownPaths = [
        "/bin", "/usr/bin", "/etc/passwd", "/etc/group", "/etc/ssl", "/tmp", "/root", "/home", "/devenv", "/proc",
        "/sys", "/dev",
    ]

    /// Why a copy to `to` cannot be, beside copies to `others`; nil when it can.
    static func clash(of to: String, with others: [String]) -> String? {
        func nested(_ a: String, _ b: String) -> Bool { a == b || a.hasPrefix(b + "/") || b.hasPrefix(a + "/") }
        if let own = ownPaths.first(where: { nested(to, $0) }) {
            return "'\(to)' would replace or hold \(own), which the image makes itself"
        }
        if let other = others.first(where: { nested(to, $0) }) {
            return "'\(to)' and '\(other)' are copies of which one would hold the other"
        }
        return nil
    }

    /// An absolute path with at least one component, none empty, `.` or `..`.
    static func isImagePath(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.contains("\0") else { return false }
        let components = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        return !components.isEmpty && components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    static func isProjectPath(_ path: String) -> Bool {
        guard !path.hasPrefix("/"), !path.contains("\0"), !path.isEmpty else { return false }
        return path.split(separator: "/").allSatisfy { $0 != ".." } && path != "."
    }

    static func isUser(_ user: String) -> Bool {
        let parts = user.split(separator: ":", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count)
            && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 32
                    && part.utf8.allSatisfy {
                        (0x61...0x7A).contains($0) || (0x41...0x5A).contains($0) || (0x30...0x39).contains($0)
                            || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
                    }
            }
    }

    /// `8080` → `8080/tcp`; nil when it is no port.
    static func port(_ text: String) -> String? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let number = Int(parts[0]), (1...65535).contains(number),
            String(number) == parts[0]
        else { return nil }
        let proto = parts.count == 2 ? String(parts[1]) : "tcp"
        guard ["tcp", "udp", "sctp"].contains(proto) else { return nil }
        return "\(number)/\(proto)"
    }
}
