import ArgumentParser
import DevenvBasics
import DevenvContainer
import DevenvFetch
import DevenvProject
import Foundation

struct ContainerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container",
        abstract: "Build OCI images from the project's packages, inspect and push them.",
        discussion: """
            An image holds what [containers.NAME] in devenv.toml names, one layer per store path \
            (docs/containers.md); no Docker daemon and no root are needed.
            """,
        subcommands: [ContainerBuildCommand.self, ContainerInspectCommand.self, ContainerPushCommand.self]
    )
}

/// What `--compression` offers for layers: what registries and runtimes read.
enum LayerCompression: String, ExpressibleByArgument, CaseIterable {
    case gzip
    case zstd

    var method: Compressor.Method { self == .gzip ? .gzip : .zstd }
}

/// How a container's image is built (its layers taken from the cache where they are there).
struct ContainerSelection: ParsableArguments {
    @Option(help: "How layers are compressed: gzip or zstd.")
    var compression: LayerCompression = .gzip

    @OptionGroup var project: ProjectOptions

    func build(_ name: String?, _ session: Session) throws -> (image: ContainerImage, workspace: Workspace, key: String)
    {
        let workspace = try project.workspace(session)
        let spec = try workspace.manifest.container(name)
        let image = try workspace.buildImage(spec, realizer: session.realizer(), compression: compression.method)
        let stored = image.layers.count - 1
        printError(
            "\(image.name):\(image.tag): \(image.layers.count) layers, \(image.layersWritten) of the \(stored) store layers written"
                + (image.layersWritten < stored ? " (the others kept from earlier builds)" : ""))
        return (image, workspace, spec.key)
    }
}

struct ContainerBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a container's image as an OCI layout, a docker archive or a stream.",
        discussion: """
            By default the image is written as an OCI image layout in .devenv/containers/NAME \
            (`skopeo copy oci:.devenv/containers/NAME …`). The same lock gives the same manifest \
            digest on any machine; it is printed last.
            """
    )

    @Argument(
        help: "The container ([containers.NAME]; may be left out when there is one).",
        completion: Completions.containers)
    var name: String?

    @OptionGroup var container: ContainerSelection

    @Option(name: .shortAndLong, help: "Write the OCI image layout to this directory.")
    var output: String?

    @Option(help: "Write a `docker load`-able archive to this file.")
    var dockerArchive: String?

    @Flag(help: "Write the docker archive to standard output (`devenv container build --stdout | docker load`).")
    var stdout = false

    func validate() throws {
        if [output != nil, dockerArchive != nil, stdout].filter({ $0 }).count > 1 {
            throw ValidationError("-o, --docker-archive and --stdout exclude each other")
        }
        if (dockerArchive != nil || stdout) && container.compression != .gzip {
            throw ValidationError(
                "docker archives hold gzip layers: --compression zstd is for OCI layouts and registries")
        }
    }

    func run() throws {
        try withManifestErrors {
            let session = try Session()
            let (image, workspace, key) = try container.build(name, session)
            if stdout {
                try DockerArchive.write(image, to: STDOUT_FILENO, name: "standard output")
                printError("\(image.name):\(image.tag) \(image.manifestDigest)")
                return
            }
            if let dockerArchive {
                try DockerArchive.write(image, toFile: dockerArchive)
                printError("wrote \(dockerArchive)")
            } else {
                let directory = try output ?? workspace.project.preparedImageLayout(key)
                try OCILayout.write(image, to: directory)
                printError("wrote \(directory)")
            }
            print("\(image.name):\(image.tag) \(image.manifestDigest)")
        }
    }
}

struct ContainerInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print an image's layers with the store paths each holds and its size.",
        discussion: """
            Reads an OCI image layout: DIR, or the one `devenv container build NAME` wrote \
            (.devenv/containers/NAME).
            """
    )

    @Argument(help: "An OCI image layout directory, or a container of the project.")
    var image: String?

    @Flag(help: "Print JSON: the manifest digest, the config and one object per layer.")
    var json = false

    @OptionGroup var directory: DirectoryOption

    struct LayerJSON: Encodable {
        var digest: String
        var size: Int64
        var diffID: String
        var paths: [String]
    }

    struct ImageJSON: Encodable {
        var name: String
        var manifest: String
        var config: String
        var layers: [LayerJSON]
    }

    func run() throws {
        let path =
            if let image, FileManager.default.fileExists(atPath: image + "/index.json") {
                image
            } else {
                try directory.project().builtImageLayout(image)
            }
        let read = try OCILayout.read(path)
        if json {
            try printJSON(
                ImageJSON(
                    name: read.name, manifest: read.manifestDigest, config: read.configDigest,
                    layers: read.layers.map {
                        LayerJSON(digest: $0.digest, size: $0.size, diffID: $0.diffID, paths: $0.paths)
                    }))
            return
        }
        // What an image's files say, shown escaped.
        print(TerminalText.shown("\(read.name) \(read.manifestDigest)"))
        for (index, layer) in read.layers.enumerated() {
            let what = (layer.paths.isEmpty ? [layer.note] : layer.paths).map(TerminalText.shown)
            print("\(index + 1)\t\(layer.digest.prefix(19))\t\(Format.bytes(UInt64(layer.size)))\t\(what[0])")
            for path in what.dropFirst() { print("\t\t\t\(path)") }
        }
    }
}

struct ContainerPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Build a container's image and push it to an OCI registry.",
        discussion: """
            REF is HOST[:PORT]/REPOSITORY[:TAG] (the container's tag when left out). Blobs the registry \
            has are not sent again. Credentials: --username with the password in \
            DEVENV_REGISTRY_PASSWORD, or a token in DEVENV_REGISTRY_TOKEN (docs/containers.md).
            """
    )

    @Argument(help: "The container ([containers.NAME]).", completion: Completions.containers)
    var name: String

    @Argument(help: "Where to push: HOST[:PORT]/REPOSITORY[:TAG].")
    var reference: String

    @OptionGroup var container: ContainerSelection

    @Option(help: "The user for basic authentication (the password is read from DEVENV_REGISTRY_PASSWORD).")
    var username: String?

    @Flag(help: "Use plain HTTP (a registry on this machine, as tests run one).")
    var insecure = false

    func run() throws {
        try withManifestErrors {
            let session = try Session()
            let target = try RegistryReference(parsing: reference)
            let (image, _, _) = try container.build(name, session)
            let client = RegistryClient(
                reference: target, insecure: insecure,
                credentials: .from(ProcessInfo.processInfo.environment, username: username),
                fetcher: URLFetcher(store: session.store, settings: session.configuration.build.fetch))
            let pushed = try client.push(image, tag: target.tag ?? image.tag)
            printError(
                "sent \(pushed.sent) of \(pushed.blobs) blobs"
                    + (pushed.sent < pushed.blobs ? " (the registry had the others)" : ""))
            print("\(target.host)/\(target.repository):\(target.tag ?? image.tag) \(image.manifestDigest)")
        }
    }
}
