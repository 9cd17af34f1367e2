import DevenvBasics
import DevenvFetch
import DevenvStore
import Foundation
import Glibc

extension BinaryCache {
    /// Copies the closures of `paths` from `store` into this (file://) cache as `nix copy --to
    /// file://…?compression=…` does, signed with `keys`: each NAR (compressed with `compression`,
    /// or not at all) before its narinfo, so a reader never finds a narinfo whose NAR is missing;
    /// paths the cache has are skipped. Returns the paths written.
    @discardableResult
    public func push(
        _ paths: [StorePath], from store: Store, signedWith keys: [SigningKey], compression: Compressor.Method? = .zstd
    ) throws -> [StorePath] {
        try OwnFiles.directory(directory)
        try OwnFiles.directory(directory + "/nar")
        let infoFile = directory + "/nix-cache-info"
        if let existing = file("nix-cache-info") {
            let info = try CacheInfo(parsing: try String(contentsOfFile: existing, encoding: .utf8), source: url)
            guard info.storeDirectory == store.directory.path else {
                throw CacheError("\(url) holds paths of \(info.storeDirectory), not \(store.directory.path)")
            }
        } else {
            try OwnFiles.replace(infoFile, with: Array(CacheInfo(storeDirectory: store.directory.path).text.utf8))
        }
        var written: [StorePath] = []
        for pathInfo in try store.closure(of: paths) where file(pathInfo.path.hashPart + ".narinfo") == nil {
            let temporary = directory + "/nar/.push-\(getpid())-\(pathInfo.path.hashPart)"
            let fd = try SystemCall.retrying("cannot write '\(temporary)'") {
                open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
            }
            let narHash: Hash
            do {
                defer { close(fd) }
                // Hashed as it is written: the store's record must still hold.
                let writer = NarWriter(sink: TeeSink(FileDescriptorSink(fd: fd), HashingSink(.sha256)))
                try writer.dump(store.directory.fullPath(of: pathInfo.path))
                narHash = writer.sink.second.finalize()
            }
            guard narHash == pathInfo.narHash else {
                unlink(temporary)
                throw CacheError(
                    "\(store.directory.fullPath(of: pathInfo.path)) no longer has its NAR hash; run `devenv store verify`"
                )
            }
            var file = temporary
            if let compression {
                file = temporary + compression.fileExtension
                defer { unlink(temporary) }
                try Compressor.compress(temporary, to: file, with: compression)
            }
            let fileHash = compression == nil ? narHash : try FileTree.hashContents(of: file, algorithm: .sha256)
            let fileSize = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) ?? 0
            let url = "nar/\(fileHash.nix32).nar" + (compression?.fileExtension ?? "")
            try SystemCall.retrying("cannot write '\(url)'") { rename(file, directory + "/" + url) }
            var info = NarInfo(
                describing: pathInfo, url: url, compression: compression?.rawValue ?? "none", fileHash: fileHash,
                fileSize: fileSize)
            for key in keys { try info.sign(with: key, storeDirectory: store.directory) }
            try OwnFiles.replace(
                directory + "/" + pathInfo.path.hashPart + ".narinfo",
                with: Array(info.text(storeDirectory: store.directory).utf8))
            written.append(pathInfo.path)
        }
        return written
    }
}
