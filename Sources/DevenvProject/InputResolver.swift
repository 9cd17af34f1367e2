import DevenvBasics
import DevenvFetch
import DevenvPackages
import DevenvStore
import Foundation

/// An input fetched (or taken from its pin) and the package set in it.
public struct ResolvedInput: Sendable {
    public var locked: LockedInput
    public var packages: PackageSet
}

/// Turns `[inputs]` into package sets: `builtin` is the embedded set; `path:` inputs are taken into
/// the store and NAR-hashed; `git+` inputs are fetched with libgit2. A pin whose spec still
/// matches the manifest is honoured exactly (same rev, same NAR hash); otherwise the newest is taken.
struct InputResolver {
    let store: Store
    let root: String

    /// `place` is where the manifest declares the input (`devenv.toml:LINE:COLUMN`), for errors.
    func resolve(_ name: String, spec: InputSpec, pinned: LockedInput?, place: String) throws -> ResolvedInput {
        let pin = pinned?.spec == spec.description ? pinned : nil
        switch spec {
        case .builtin:
            return ResolvedInput(locked: LockedInput(spec: spec.description, type: spec.type), packages: .builtin)
        case .path(let relative):
            let directory = relative.hasPrefix("/") ? relative : root + "/" + relative
            let expected = try pin?.narHash.map { try Hash(parsing: $0) }
            // The pinned content, if the store still has it, whatever the directory holds now.
            if let pin, let expected {
                let pinned = try store.directory.path(for: .fixed(recursive: true, hash: expected), name: "source")
                if try store.isValid(pinned) {
                    return ResolvedInput(
                        locked: pin, packages: try packageSet(in: store.directory.fullPath(of: pinned), input: name))
                }
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw ManifestError("\(place): input '\(name)': no directory \(directory)") }
            let fetched: (path: StorePath, narHash: Hash)
            do {
                fetched = try PathFetcher(store: store).fetch(directory, expectedNarHash: expected)
            } catch let mismatch as HashMismatch {
                throw ProjectError(
                    "input '\(name)' (\(spec)) changed since it was locked (NAR hash \(mismatch.expected.sri), now \(mismatch.actual.sri)); run `devenv update \(name)`"
                )
            }
            let locked = LockedInput(
                spec: spec.description, type: spec.type, path: relative, narHash: fetched.narHash.sri,
                lastModified: try pin?.lastModified ?? InputResolver.newestModification(in: directory))
            return ResolvedInput(
                locked: locked, packages: try packageSet(in: store.directory.fullPath(of: fetched.path), input: name))
        case .git(let url, let ref, let rev):
            let source =
                pin?.rev.map { GitSource(url: url, ref: ref, rev: $0) } ?? GitSource(url: url, ref: ref, rev: rev)
            let revision = try GitFetcher(store: store).fetch(
                source, expectedNarHash: try pin?.narHash.map { try Hash(parsing: $0) })
            let locked = LockedInput(
                spec: spec.description, type: spec.type, url: url, ref: ref, rev: revision.rev,
                narHash: revision.narHash,
                lastModified: revision.lastModified)
            return ResolvedInput(locked: locked, packages: try packageSet(in: revision.storePath, input: name))
        }
    }

    private func packageSet(in directory: String, input: String) throws -> PackageSet {
        do {
            return try PackageSet(directory: directory)
        } catch let error as PackageError {
            throw ProjectError("input '\(input)': \(error)")
        }
    }

    /// The newest modification time anywhere in a tree: a `path` input's `lastModified`, as Nix records it.
    static func newestModification(in directory: String) throws -> Int64 {
        var newest: Int64 = 0
        let walker = FileManager.default.enumerator(atPath: directory)
        for path in [""] + (walker?.allObjects as? [String] ?? []) {
            let st = try SystemCall.lstat(path.isEmpty ? directory : directory + "/" + path)
            newest = max(newest, Int64(st.st_mtim.tv_sec))
        }
        return newest
    }
}
