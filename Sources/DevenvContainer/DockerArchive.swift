import DevenvBasics
import Glibc

/// A `docker load`-able tar: Docker's `manifest.json` beside an OCI layout (as `docker save`
/// writes since Docker 25), so `docker load`, `podman load` and `skopeo copy docker-archive:…`
/// all read it. Written as a stream, so it can go to a pipe (`--stdout`).
public enum DockerArchive {
    /// Writes the archive of `image` to the open descriptor `fd`.
    public static func write(_ image: ContainerImage, to fd: Int32, name: String) throws {
        let tar = try TarStream(name: name) { chunk in try SystemCall.writeAll(fd, chunk, "cannot write \(name)") }
        let blob = { (digest: String) in "blobs/sha256/" + digest.dropFirst("sha256:".count) }
        let manifest = CanonicalJSON.array([
            .object([
                "Config": .string(blob(image.configDigest)),
                "RepoTags": .array([.string("\(image.name):\(image.tag)")]),
                "Layers": .array(image.layers.map { .string(blob($0.digest)) }),
            ])
        ])
        var files: [(path: String, contents: () throws -> [UInt8])] = [
            ("oci-layout", { OCILayout.layoutFile }),
            ("index.json", { OCILayout.index(of: image) }),
            ("manifest.json", { Array(manifest.serialized.utf8) }),
        ]
        var seen: Set<String> = []
        for digest in [image.manifestDigest, image.configDigest] + image.layers.map(\.digest)
        where seen.insert(digest).inserted {
            files.append(
                (
                    blob(digest),
                    {
                        let file = image.blobs.file(of: digest)
                        return try LayerWriter.contents(of: file, size: Int(try SystemCall.lstat(file).st_size))
                    }
                ))
        }
        try tar.directory(Array("blobs".utf8))
        try tar.directory(Array("blobs/sha256".utf8))
        for (path, contents) in files.sorted(by: { $0.path < $1.path }) {
            try tar.file(Array(path.utf8), mode: 0o444, contents: try contents())
        }
        try tar.finish()
    }

    /// Writes the archive to the file `path`: beside it first, then renamed over it.
    public static func write(_ image: ContainerImage, toFile path: String) throws {
        let temporary = path + ".new-\(getpid())"
        let fd = try SystemCall.retrying("cannot create '\(temporary)'") {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
        do {
            try write(image, to: fd, name: "'\(path)'")
            close(fd)
            try SystemCall.retrying("cannot replace '\(path)'") { rename(temporary, path) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
    }
}
