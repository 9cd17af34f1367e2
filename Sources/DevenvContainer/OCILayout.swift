import DevenvBasics
import Foundation
import Glibc

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`), what
/// `skopeo copy oci:DIR …` and `umoci` read.
public enum OCILayout {
    static let layoutFile = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)
    static let indexMediaType = "application/vnd.oci.image.index.v1+json"

    /// Writes `image` into `directory` (made when missing; a link there is refused). The index
    /// names only this image, by its tag; blobs no longer named are removed. The index is
    /// written last, so an interrupted write leaves the previous image readable.
    public static func write(_ image: ContainerImage, to directory: String) throws {
        try OwnFiles.directory(directory)
        let blobs = try BlobDirectory(directory + "/blobs")
        let digests = [image.configDigest, image.manifestDigest] + image.layers.map(\.digest)
        for digest in digests { try blobs.take(digest, from: image.blobs) }
        try OwnFiles.replace(directory + "/oci-layout", with: layoutFile)
        try OwnFiles.replace(directory + "/index.json", with: index(of: image))
        let kept = Set(digests.map { String($0.dropFirst("sha256:".count)) })
        for name in (try? FileManager.default.contentsOfDirectory(atPath: blobs.path + "/sha256")) ?? []
        where name.utf8.count == 64 && !kept.contains(name) {
            unlink(blobs.path + "/sha256/" + name)
        }
    }

    /// `index.json`: the manifest, named by the image's tag.
    static func index(of image: ContainerImage) -> [UInt8] {
        Array(
            CanonicalJSON.object([
                "schemaVersion": .integer(2),
                "mediaType": .string(indexMediaType),
                "manifests": .array([
                    .object([
                        "mediaType": .string(ContainerImage.manifestMediaType),
                        "digest": .string(image.manifestDigest),
                        "size": .integer(Int64(image.manifest.count)),
                        "annotations": .object([
                            "org.opencontainers.image.ref.name": .string(image.tag),
                            "io.containerd.image.name": .string("\(image.name):\(image.tag)"),
                        ]),
                    ])
                ]),
            ]).serialized.utf8)
    }
}
