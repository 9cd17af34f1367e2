import DevenvBasics
import Foundation

/// A hash that did not match the one pinned for the content.
public struct HashMismatch: Error, CustomStringConvertible {
    public let name: String
    public let expected: Hash
    public let actual: Hash

    public var description: String {
        "hash mismatch for '\(name)': expected \(expected.sri), got \(actual.sri)"
    }
}

extension Store {
    /// A private directory on the store's file system in which to assemble a new path at
    /// `tree`; discarded when it goes away.
    public func makeStagingArea() throws -> StagingArea { try StagingArea(in: directory) }

    /// Makes what the caller put at `staging.tree` a content-addressed path named `name`: a
    /// single file hashed by its bytes (`recursive: false`, like `fetchurl`) or a tree hashed by
    /// its NAR (like `fetchzip`). With `expected`, the content must have that hash (in its
    /// algorithm): a mismatch throws `HashMismatch` and nothing becomes valid.
    public func addContentAddressed(_ staging: StagingArea, name: String, recursive: Bool, expected: Hash?) throws
        -> StorePath
    {
        try StorePath.validate(name: name)
        try FileTree.normalize(staging.tree)
        let algorithm = expected?.algorithm ?? .sha256
        let nar = try Nar.hash(of: staging.tree)
        let content: Hash
        if recursive {
            content = algorithm == .sha256 ? nar.hash : try Nar.hash(of: staging.tree, algorithm: algorithm).hash
        } else {
            guard SystemCall.isRegular(try SystemCall.lstat(staging.tree)) else {
                throw StoreError("'\(name)' must be a single regular file to be hashed flat")
            }
            content = try FileTree.hashContents(of: staging.tree, algorithm: algorithm)
        }
        if let expected, expected != content {
            throw HashMismatch(name: name, expected: expected, actual: content)
        }
        let contentAddress = ContentAddress.fixed(recursive: recursive, hash: content)
        let path = try directory.path(for: contentAddress, name: name)
        try commit(
            staging, as: PathInfo(path: path, narHash: nar.hash, narSize: nar.size, contentAddress: contentAddress))
        return path
    }

    /// Makes the build output at `staging.tree` valid as `path` (computed before the build):
    /// normalizes it, hashes its NAR and records as references those of `candidates`, and
    /// `path` itself, whose hash parts occur in it.
    @discardableResult
    public func addOutput(_ staging: StagingArea, as path: StorePath, referenceCandidates: [StorePath]) throws
        -> PathInfo
    {
        try FileTree.normalize(staging.tree)
        let writer = NarWriter(
            sink: TeeSink(HashingSink(.sha256), ReferenceScanner(candidates: referenceCandidates + [path])))
        try writer.dump(staging.tree)
        let info = PathInfo(
            path: path, narHash: writer.sink.first.finalize(), narSize: writer.size,
            references: Array(writer.sink.second.found))
        try commit(staging, as: info)
        return info
    }

    /// Restores the NAR that `read` gives (filling a buffer, 0 at the end) into `staging.tree`
    /// with the strict NAR reader, with the store's modes and times, its files written by threads
    /// of their own when it is large (file systems create files in parallel), then `check`s it (the
    /// caller: the NAR hash and size it computed while `read` gave the bytes, a content address).
    /// `placeSubstitute` and `makeValid` make it valid.
    public func unpackSubstitute(
        _ staging: StagingArea, narSize: UInt64, reading read: @escaping (UnsafeMutableRawBufferPointer) throws -> Int,
        check: () throws -> Void
    ) throws {
        try NarReader.restore(
            from: NarInput(read: read), to: staging.tree,
            options: NarReader.Options(
                canonical: true, writers: narSize < NarReader.parallelSize ? 0 : NarReader.writerThreads))
        try check()
    }

    /// Moves what `unpackSubstitute` put in `staging` into the store as `info.path`, holding its
    /// lock until `makeValid` registers it (with the other paths made valid at the same time, in
    /// one transaction); its references must be valid by then. nil when it is valid already. Its
    /// files are shared by the next garbage collection, not now: hashing and linking every file
    /// would cost a substitution a fifth of its time (docs/benchmarks.md).
    public func placeSubstitute(_ staging: StagingArea, as info: PathInfo) throws -> PlacedPath? {
        try place(staging, as: info, sharingLater: true)
    }
}
