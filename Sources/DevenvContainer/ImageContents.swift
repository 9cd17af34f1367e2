import DevenvBasics
import DevenvFetch
import DevenvProject
import DevenvStore
import Foundation
import Glibc

/// What an image has outside its store: the last, small layer (`/bin` linking every program of
/// the packages, the first package to have a name winning as in the shell's environment;
/// `/usr/bin/env`; `/etc/passwd` and `/etc/group` with root, nobody and the configured user;
/// `/tmp`; CA certificates when a package has them; the links to project files) and the
/// variables the config gives every process.
struct ImageContents {
    enum Entry {
        case directory(mode: mode_t, owner: (uid: Int, gid: Int))
        case link(String)
        case file(mode: mode_t, contents: [UInt8])
    }

    let spec: ContainerSpec
    let environment: Environment
    let paths: ImagePaths
    /// By path in the image, without the leading `/`.
    private(set) var entries: [String: Entry] = [:]
    /// In name order.
    private(set) var variables: [(name: String, value: String)] = []

    static let certificates = "etc/ssl/certs/ca-certificates.crt"
    /// How the last layer's history entry starts; `summary` follows.
    static let comment = "made by devenv: "

    /// What the layer holds at its top, for `inspect`: `/bin /etc /tmp /usr/bin/env …`.
    var summary: String {
        Set(entries.keys.map { $0 == "usr/bin/env" ? $0 : String($0.split(separator: "/")[0]) }).sorted()
            .map { "/" + $0 }.joined(separator: " ")
    }

    /// `/usr/bin/env` where no package has coreutils' `env`: what `#!/usr/bin/env PROGRAM` lines
    /// (and `-S`, and `NAME=VALUE` before the program) need, in the image's bash.
    static func env(bash: String) -> String {
        """
        #!\(bash)
        # /usr/bin/env for #! lines: the image has no coreutils.
        if [ "$1" = "-S" ]; then shift; set -- $1 "${@:2}"; fi
        while [ $# -gt 0 ] && [[ $1 == [A-Za-z_]*=* ]]; do export "$1"; shift; done
        if [ $# -eq 0 ]; then
          for name in $(compgen -e); do printf '%s=%s\n' "$name" "${!name}"; done
          exit 0
        fi
        exec "$@"

        """
    }

    /// `closure`: the packages' closure, as full paths in the builder's store.
    init(
        spec: ContainerSpec, environment: Environment, closure: [String], copies: [ImageCopy], paths: ImagePaths,
        store: Store
    ) throws {
        self.spec = spec
        self.environment = environment
        self.paths = paths
        var programs = environment.programs.mapValues(paths.imagePath(of:))
        if programs["sh"] == nil, let bash = programs["bash"] { programs["sh"] = bash }
        for (name, target) in programs { entries["bin/" + name] = .link(target) }
        if let env = programs["env"] {
            entries["usr/bin/env"] = .link(env)
        } else if let bash = programs["bash"] {
            entries["usr/bin/env"] = .file(mode: 0o555, contents: Array(ImageContents.env(bash: bash).utf8))
        }
        entries["tmp"] = .directory(mode: 0o1777, owner: (0, 0))
        entries["root"] = .directory(mode: 0o700, owner: (0, 0))

        let user = ImageUser(spec.user)
        entries["etc/passwd"] = .file(mode: 0o644, contents: Array(user.passwd.utf8))
        entries["etc/group"] = .file(mode: 0o644, contents: Array(user.groupFile.utf8))
        if let home = user.home { entries[String(home.dropFirst())] = .directory(mode: 0o755, owner: user.owner) }

        var variables: [String: String] = ["PATH": "/bin:/usr/bin"]
        if let certificates = try ImageContents.certificates(in: closure) {
            switch certificates {
            case .link(let file): entries[ImageContents.certificates] = .link(paths.imagePath(of: file))
            case .bundle(let bytes): entries[ImageContents.certificates] = .file(mode: 0o444, contents: bytes)
            }
            variables["SSL_CERT_FILE"] = "/" + ImageContents.certificates
        }
        for copy in copies {
            entries[String(copy.to.dropFirst())] = .link(paths.imagePath(of: store.directory.fullPath(of: copy.path)))
        }
        if let workdir = spec.workdir, workdir != "/", entries[String(workdir.dropFirst())] == nil {
            entries[String(workdir.dropFirst())] = .directory(mode: 0o755, owner: user.owner)
        }

        for (name, value) in environment.packageVariables { variables[name] = paths.imagePath(of: value) }
        for (name, value) in spec.env { variables[name] = try resolved(value, in: "env.\(name)") }
        self.variables = variables.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Arguments (`cmd`, `entrypoint`) with `${packages.NAME}` replaced by the package's path in
    /// the image.
    func resolved(_ arguments: [String]) throws -> [String] {
        try arguments.map { try resolved($0, in: "an argument") }
    }

    private func resolved(_ text: String, in place: String) throws -> String {
        let replaced = Manifest.resolvingPackageReferences(in: text, packages: environment.packages)
        if let range = replaced.range(of: "${packages.") {
            let reference = replaced[range.lowerBound...].prefix { $0 != "}" }
            throw ContainerError(
                "\(reference)} in \(place) of the container \(spec.key) is not one of the image's packages")
        }
        return paths.imagePath(of: replaced)
    }

    /// The layer: the entries by path, each directory before what it holds, parents made.
    func layer(compression: Compressor.Method, blobs: BlobDirectory) throws -> ImageLayer {
        var all = entries
        for path in entries.keys {
            var parent = path.split(separator: "/").dropLast()
            while !parent.isEmpty {
                let name = parent.joined(separator: "/")
                if all[name] == nil { all[name] = .directory(mode: 0o755, owner: (0, 0)) }
                parent = parent.dropLast()
            }
        }
        return try blobs.layer(named: "the image's last layer", compression: compression, paths: []) { tar in
            for path in all.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                switch all[path]! {
                case .directory(let mode, let owner): try tar.directory(Array(path.utf8), mode: mode, owner: owner)
                case .link(let target): try tar.symlink(Array(path.utf8), to: Array(target.utf8))
                case .file(let mode, let contents): try tar.file(Array(path.utf8), mode: mode, contents: contents)
                }
            }
        }
    }

    enum Certificates {
        /// A package's bundle, linked.
        case link(String)
        /// Debian's `ca-certificates` has one file per certificate; `update-ca-certificates`
        /// would join them.
        case bundle([UInt8])
    }

    static func certificates(in closure: [String]) throws -> Certificates? {
        for path in closure {
            for bundle in ["etc/ssl/certs/ca-certificates.crt", "etc/ssl/certs/ca-bundle.crt", "etc/ssl/cert.pem"]
            where FileManager.default.fileExists(atPath: path + "/" + bundle) {
                return .link(path + "/" + bundle)
            }
        }
        for path in closure {
            let directory = path + "/usr/share/ca-certificates/mozilla"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            var bundle: [UInt8] = []
            for name in names.sorted() where name.hasSuffix(".crt") {
                let file = directory + "/" + name
                bundle += try LayerWriter.contents(of: file, size: Int(try SystemCall.lstat(file).st_size))
                if bundle.last != UInt8(ascii: "\n") { bundle.append(UInt8(ascii: "\n")) }
            }
            if !bundle.isEmpty { return .bundle(bundle) }
        }
        return nil
    }
}

/// The configured user (`NAME`, `UID`, `NAME:GROUP` or `UID:GID`) as `/etc/passwd` and
/// `/etc/group` have it, beside root and nobody. A name without a number gets 1000.
struct ImageUser {
    var name: String?
    var uid = 0
    var group = "root"
    var gid = 0

    init(_ text: String?) {
        guard let text else { return }
        let parts = text.split(separator: ":").map(String.init)
        if let number = Int(parts[0]) {
            uid = number
            if number != 0 && number != 65534 { name = "user" }
        } else if parts[0] == "nobody" {
            uid = 65534
        } else if parts[0] != "root" {
            name = parts[0]
            uid = 1000
        }
        if parts.count == 2 {
            if let number = Int(parts[1]) {
                gid = number
                group = number == 0 ? "root" : name ?? "user"
            } else {
                group = parts[1]
                gid = group == "root" ? 0 : 1000
            }
        } else if uid == 65534 {
            (gid, group) = (65534, "nogroup")
        } else if uid != 0 {
            gid = uid
            group = name ?? "user"
        }
    }

    var owner: (uid: Int, gid: Int) { (uid, gid) }
    var home: String? { name.map { "/home/\($0)" } }

    var passwd: String {
        var lines = ["root:x:0:0:root:/root:/bin/sh", "nobody:x:65534:65534:nobody:/var/empty:/bin/sh"]
        if let name, let home { lines.append("\(name):x:\(uid):\(gid)::\(home):/bin/sh") }
        return lines.joined(separator: "\n") + "\n"
    }

    var groupFile: String {
        var lines = ["root:x:0:", "nogroup:x:65534:"]
        if gid != 0 && gid != 65534 && group != "root" && group != "nogroup" { lines.append("\(group):x:\(gid):") }
        return lines.joined(separator: "\n") + "\n"
    }
}
