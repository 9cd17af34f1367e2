import DevenvBasics
import DevenvFetch
import DevenvProject
import DevenvStore
import Foundation
import Glibc

/// Project files an image holds: the store path `path` (made from the project's files), linked
/// from `to` in the image.
public struct ImageCopy: Sendable {
    public var to: String
    public var path: StorePath

    public init(to: String, path: StorePath) {
        self.to = to
        self.path = path
    }
}

/// An image made: its layers and config as blobs in `blobs`, and its manifest.
public struct ContainerImage: Sendable {
    public var name: String
    public var tag: String
    public var layers: [ImageLayer]
    public var config: [UInt8]
    public var configDigest: String
    public var manifest: [UInt8]
    public var manifestDigest: String
    public let blobs: BlobDirectory
    /// How many store layers this build wrote (the others were kept from earlier builds).
    public var layersWritten = 0

    public static let manifestMediaType = "application/vnd.oci.image.manifest.v1+json"
    public static let configMediaType = "application/vnd.oci.image.config.v1+json"
}

/// Builds an OCI image of realized packages, as `buildLayeredImage` does: one layer per store
/// path of their closure (by popularity, the rest merged into the last store layer), then a small
/// layer with `/bin`, `/usr/bin/env`, `/etc/passwd`, `/etc/group` and `/tmp`. Everything is
/// deterministic (docs/containers.md): the same lock gives the same manifest digest anywhere.
/// Store layers are kept in `$DEVENV_HOME/containers` by what they hold, so a rebuild after a
/// change to one package writes only that package's layer.
public struct ImageBuilder {
    public let store: Store
    public let compression: Compressor.Method
    /// Where layers are kept between builds.
    let cache: BlobDirectory
    let layerIndex: String

    public init(store: Store, compression: Compressor.Method = .gzip) throws {
        self.store = store
        self.compression = compression
        let home = store.location.home + "/containers"
        try OwnFiles.directory(home)
        cache = try BlobDirectory(home + "/blobs")
        layerIndex = home + "/layers"
        try OwnFiles.directory(layerIndex)
    }

    /// The image of `spec` with `environment`'s packages (realized) and `copies` (in the store).
    public func build(_ spec: ContainerSpec, environment: Environment, copies: [ImageCopy]) throws -> ContainerImage {
        let packagePaths = try environment.packages.map { try store.directory.storePath(parsing: $0.outPath) }
        let closure = try store.closure(of: packagePaths + copies.map(\.path))
        // A copy is project files: it references nothing, so the rest is the packages' closure.
        let copied = Set(copies.map(\.path))
        let packageClosure = closure.filter { !copied.contains($0.path) }.map { store.directory.fullPath(of: $0.path) }
        let paths = try ImagePaths(
            host: store.directory, closure: closure, derivations: environment.packages.map(\.derivation))
        let groups = ImageLayering.layers(ImageLayering.order(closure), count: spec.maxLayers - 1)
        let writer = LayerWriter(store: store, paths: paths, compression: compression, blobs: cache)
        let sizes = Dictionary(closure.map { ($0.path, $0.narSize) }) { first, _ in first }
        var (layers, written) = try storeLayers(groups, sizes: sizes, writer: writer)
        let contents = try ImageContents(
            spec: spec, environment: environment, closure: packageClosure, copies: copies, paths: paths, store: store)
        layers.append(try contents.layer(compression: compression, blobs: cache))

        let config = try imageConfig(spec, contents: contents, layers: layers, system: environment.system)
        let (configDigest, configSize) = try cache.add(bytes: config)
        let manifest = Array(
            CanonicalJSON.object([
                "schemaVersion": .integer(2),
                "mediaType": .string(ContainerImage.manifestMediaType),
                "config": descriptor(ContainerImage.configMediaType, configDigest, configSize),
                "layers": .array(layers.map { descriptor($0.mediaType, $0.digest, $0.size) }),
            ]).serialized.utf8)
        let (manifestDigest, _) = try cache.add(bytes: manifest)
        prune()
        return ContainerImage(
            name: spec.name, tag: spec.tag, layers: layers, config: config, configDigest: configDigest,
            manifest: manifest, manifestDigest: manifestDigest, blobs: cache, layersWritten: written)
    }

    private func descriptor(_ mediaType: String, _ digest: String, _ size: Int64) -> CanonicalJSON {
        .object(["mediaType": .string(mediaType), "digest": .string(digest), "size": .integer(size)])
    }

    /// The store layers, each taken from the cache or written (several at once).
    /// `sizes`: each path's NAR size.
    private func storeLayers(_ groups: [[StorePath]], sizes: [StorePath: UInt64], writer: LayerWriter) throws -> (
        layers: [ImageLayer], written: Int
    ) {
        let results = IndexedResults<ImageLayer>(count: groups.count)
        let keys = groups.map { key(of: $0, writer: writer) }
        let pending = groups.indices.filter { index in
            guard let layer = cached(keys[index]) else { return true }
            results.set(index, .success(layer))
            return false
        }
        // Largest first, so the last layers to finish are small ones.
        let order = pending.map { index in (index, groups[index].reduce(UInt64(0)) { $0 + sizes[$1, default: 0] }) }
            .sorted { $0.1 > $1.1 }.map(\.0)
        DispatchQueue.concurrentPerform(iterations: order.count) { position in
            let index = order[position]
            results.set(index, Result { try writer.write(groups[index]) })
        }
        let layers = try results.values.map { try $0!.get() }
        for index in pending { try remember(layers[index], as: keys[index]) }
        return (layers, pending.count)
    }

    /// What a store layer's bytes depend on: the store directories, the compression and the paths.
    /// (Version 3: a zstd layer cached before 2026-12-02 may be corrupt, when layers were
    /// compressed side by side; see `PooledBuffer.withFilled`.)
    private func key(of group: [StorePath], writer: LayerWriter) -> String {
        let text =
            ["devenv-layer-3", compression.rawValue, store.directory.path, writer.paths.image.path]
            + group.map(\.baseName).sorted()
        return Hasher.hash(.sha256, Array(text.joined(separator: "\n").utf8)).base16
    }

    private func cached(_ key: String) -> ImageLayer? {
        guard let bytes = OwnFiles.contents(of: "\(layerIndex)/\(key)"),
            case .object(let fields)? = try? CanonicalJSON(parsing: String(decoding: bytes, as: UTF8.self)),
            case .string(let digest)? = fields["digest"], case .string(let diffID)? = fields["diffID"],
            case .integer(let size)? = fields["size"], case .string(let mediaType)? = fields["mediaType"],
            case .array(let paths)? = fields["paths"], cache.contains(digest)
        else { return nil }
        // Used now: kept for another `keptFor`.
        utimes("\(layerIndex)/\(key)", nil)
        utimes(cache.file(of: digest), nil)
        return ImageLayer(
            digest: digest, diffID: diffID, size: size, mediaType: mediaType,
            paths: paths.compactMap { if case .string(let path) = $0 { path } else { nil } })
    }

    /// How long a kept layer no build used stays.
    static let keptFor: TimeInterval = 30 * 24 * 3600

    /// Removes what no build used for `keptFor` (a kept layer is touched when used), so the
    /// cache holds what recent images share rather than every layer ever made.
    private func prune() {
        let limit = Date().addingTimeInterval(-ImageBuilder.keptFor)
        for directory in [layerIndex, cache.path + "/sha256"] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                let file = directory + "/" + name
                guard let info = try? SystemCall.lstat(file), SystemCall.isRegular(info),
                    Double(info.st_mtim.tv_sec) < limit.timeIntervalSince1970
                else { continue }
                unlink(file)
            }
        }
    }

    private func remember(_ layer: ImageLayer, as key: String) throws {
        let json = CanonicalJSON.object([
            "digest": .string(layer.digest), "diffID": .string(layer.diffID), "size": .integer(layer.size),
            "mediaType": .string(layer.mediaType), "paths": .array(layer.paths.map { .string($0) }),
        ])
        try OwnFiles.replace("\(layerIndex)/\(key)", with: Array(json.serialized.utf8))
    }

    /// The image config: architecture, `config` (Env, Cmd, …), the layers' diff IDs and a
    /// history entry per layer naming its store paths. Every date is 1970-01-01T00:00:01Z.
    private func imageConfig(_ spec: ContainerSpec, contents: ImageContents, layers: [ImageLayer], system: String)
        throws -> [UInt8]
    {
        var config: [String: CanonicalJSON] = [
            "Env": .array(contents.variables.map { .string("\($0.name)=\($0.value)") })
        ]
        if !spec.cmd.isEmpty { config["Cmd"] = .array(try contents.resolved(spec.cmd).map { .string($0) }) }
        if !spec.entrypoint.isEmpty {
            config["Entrypoint"] = .array(try contents.resolved(spec.entrypoint).map { .string($0) })
        }
        if let workdir = spec.workdir { config["WorkingDir"] = .string(workdir) }
        if let user = spec.user { config["User"] = .string(user) }
        if !spec.ports.isEmpty {
            config["ExposedPorts"] = .object(Dictionary(uniqueKeysWithValues: spec.ports.map { ($0, .object([:])) }))
        }
        if !spec.labels.isEmpty { config["Labels"] = .object(spec.labels.mapValues { .string($0) }) }
        let created = CanonicalJSON.string(ImageBuilder.created)
        let history = layers.map { layer in
            CanonicalJSON.object([
                "created": created, "created_by": .string("devenv"),
                "comment": .string(
                    layer.paths.isEmpty
                        ? ImageContents.comment + contents.summary
                        : ImageLayer.storePathsComment + layer.paths.joined(separator: " ")),
            ])
        }
        return Array(
            CanonicalJSON.object([
                "architecture": .string(try ImageBuilder.architecture(of: system)),
                "os": .string("linux"),
                "created": created,
                "config": .object(config),
                "rootfs": .object(["type": .string("layers"), "diff_ids": .array(layers.map { .string($0.diffID) })]),
                "history": .array(history),
            ]).serialized.utf8)
    }

    static let created = "1970-01-01T00:00:01Z"

    /// The OCI architecture of a Nix system name.
    public static func architecture(of system: String) throws -> String {
        switch system {
        case "x86_64-linux": return "amd64"
        case "aarch64-linux": return "arm64"
        default: throw ContainerError("images are made for x86_64-linux and aarch64-linux, not \(system)")
        }
    }
}
