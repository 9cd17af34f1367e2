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

    /// An image as a layout holds it, for `inspect`.
    public struct Description: Sendable {
        public var name: String
        public var manifestDigest: String
        public var configDigest: String
        public var layers: [ImageLayer]
    }

    /// Reads the image `index.json` names first in the layout at `directory`: its manifest, and
    /// from its config each layer's diff ID and the store paths its history entry names.
    public static func read(_ directory: String) throws -> Description {
        let blobs = BlobDirectory(existing: directory + "/blobs")
        func json(_ file: String) throws -> [String: CanonicalJSON] {
            guard let bytes = OwnFiles.contents(of: file, limit: 4 << 20),
                case .object(let fields)? = try? CanonicalJSON(parsing: String(decoding: bytes, as: UTF8.self))
            else { throw ContainerError("\(file) is not an OCI image layout's JSON file") }
            return fields
        }
        func digest(_ value: CanonicalJSON?) throws -> String {
            guard case .object(let descriptor)? = value, case .string(let digest)? = descriptor["digest"],
                digest.hasPrefix("sha256:"), digest.utf8.count == 71,
                digest.dropFirst(7).allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            else { throw ContainerError("\(directory) names a blob without a sha256 digest") }
            return digest
        }
        let index = try json(directory + "/index.json")
        guard case .array(let manifests)? = index["manifests"], let first = manifests.first else {
            throw ContainerError("\(directory)/index.json names no image")
        }
        var name = ""
        if case .object(let entry) = first, case .object(let annotations)? = entry["annotations"] {
            if case .string(let full)? = annotations["io.containerd.image.name"] {
                name = full
            } else if case .string(let tag)? = annotations["org.opencontainers.image.ref.name"] {
                name = tag
            }
        }
        let manifestDigest = try digest(first)
        let manifest = try json(blobs.file(of: manifestDigest))
        let configDigest = try digest(manifest["config"])
        let config = try json(blobs.file(of: configDigest))
        guard case .array(let descriptors)? = manifest["layers"] else {
            throw ContainerError("the manifest \(manifestDigest) has no layers")
        }
        var diffIDs: [String] = []
        if case .object(let rootfs)? = config["rootfs"], case .array(let ids)? = rootfs["diff_ids"] {
            diffIDs = ids.map { if case .string(let id) = $0 { id } else { "" } }
        }
        var comments: [String] = []
        if case .array(let history)? = config["history"] {
            comments = history.map { entry in
                if case .object(let fields) = entry, case .string(let comment)? = fields["comment"] {
                    comment
                } else {
                    ""
                }
            }
        }
        let layers = try descriptors.enumerated().map { offset, descriptor in
            var size: Int64 = 0
            var mediaType = ""
            if case .object(let fields) = descriptor {
                if case .integer(let value)? = fields["size"] { size = value }
                if case .string(let value)? = fields["mediaType"] { mediaType = value }
            }
            let comment = offset < comments.count ? comments[offset] : ""
            let paths =
                comment.hasPrefix(ImageLayer.storePathsComment)
                ? comment.dropFirst(ImageLayer.storePathsComment.count).split(separator: " ").map(String.init) : []
            var layer = ImageLayer(
                digest: try digest(descriptor), diffID: offset < diffIDs.count ? diffIDs[offset] : "", size: size,
                mediaType: mediaType, paths: paths)
            if paths.isEmpty { layer.note = comment }
            return layer
        }
        return Description(name: name, manifestDigest: manifestDigest, configDigest: configDigest, layers: layers)
    }
}
