import DevenvBasics
import DevenvBuild
import DevenvFetch
import DevenvProject
import DevenvStore
import Foundation
import Glibc

extension Project {
    /// Where `devenv container build KEY` writes its image unless told: `.devenv/containers/KEY`.
    public func imageLayout(_ key: String) -> String { stateDirectory + "/containers/" + key }

    /// `imageLayout(key)`, with `.devenv` (which git ignores) and its `containers` made.
    public func preparedImageLayout(_ key: String) throws -> String {
        try checkStateDirectory()
        try ProjectStateDirectory.prepare(stateDirectory)
        try OwnFiles.directory(stateDirectory + "/containers")
        return imageLayout(key)
    }

    /// The image layout `devenv container build` wrote for the container `name` (the project's
    /// only one when nil); an error saying to build it when there is none.
    public func builtImageLayout(_ name: String?) throws -> String {
        let key = try ProjectFiles(self).manifest().container(name).key
        let path = imageLayout(key)
        guard FileManager.default.fileExists(atPath: path + "/index.json") else {
            throw ContainerError("\(path) has no image; run `devenv container build \(key)`")
        }
        return path
    }
}

extension Workspace {
    /// The packages the image of `spec` holds, as the lock pins them for `system`: the default
    /// shell's (with its programs) when `packages` is not given, else the container's own.
    public func imageEnvironment(_ spec: ContainerSpec, system: String = CurrentSystem.name) throws -> Environment {
        guard let requests = spec.packages else {
            return try lock.environment(
                shell: Manifest.defaultShell, system: system, manifest: manifest, store: store.directory)
        }
        guard let packages = lock.shells[ContainerSpec.lockName(spec.key)]?[system],
            packages.map(\.request) == requests
        else {
            throw ProjectError("devenv.lock does not pin the packages of the container \(spec.key); run `devenv lock`")
        }
        return Environment(shell: Manifest.defaultShell, system: system, packages: packages)
    }

    /// Realizes what the image of `spec` holds, adds its project files to the store, and builds it.
    public func buildImage(_ spec: ContainerSpec, realizer: Realizer, compression: Compressor.Method = .gzip) throws
        -> ContainerImage
    {
        let environment = try imageEnvironment(spec)
        _ = try self.realizer(from: realizer).realize(environment.packages.map(\.derivation))
        let copies = try spec.copy.map { copy in
            ImageCopy(
                to: copy.to, path: try store.add(try projectFile(copy.from, for: spec), name: storeName(copy.from)))
        }
        return try ImageBuilder(store: store, compression: compression).build(
            spec, environment: environment, copies: copies)
    }

    /// The project file `relative` names, refused when a link on the way could lead outside the
    /// project (a cloned repository's `dist -> ~/.ssh` must not end up in an image).
    private func projectFile(_ relative: String, for spec: ContainerSpec) throws -> String {
        var path = project.root
        for component in relative.split(separator: "/") where component != "." {
            path += "/" + component
            guard let info = try SystemCall.lstatIfExists(path) else {
                throw ProjectError(
                    "\(spec.copyLocations[relative] ?? "[containers.\(spec.key)]"): copies '\(relative)', which does not exist"
                )
            }
            if SystemCall.isSymlink(info) {
                throw ProjectError(
                    "\(spec.copyLocations[relative] ?? "[containers.\(spec.key)]"): copies '\(relative)', but '\(path)' is a link; devenv copies no link's target into an image"
                )
            }
        }
        return path
    }

    /// A store path name for a copied file or directory: its name, with what names cannot have
    /// replaced.
    private func storeName(_ relative: String) -> String {
        let last = relative.split(separator: "/").last.map(String.init) ?? "files"
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?=".utf8)
        let name = String(decoding: last.utf8.map { allowed.contains($0) ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
        return name.hasPrefix(".") ? "files" + name : name
    }
}
