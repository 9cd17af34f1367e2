import DevenvBasics
import Glibc

extension FileTree {
    /// The digest of a regular file's bytes (a "flat" hash, as `nix-hash --flat` computes it).
    /// Hashed on the calling thread, through a small buffer: it is called once per file when a
    /// tree's files are shared, where a thread and large buffers per file cost more than hashing.
    public static func hashContents(of path: String, algorithm: HashAlgorithm) throws -> Hash {
        let fd = try SystemCall.retrying("cannot open '\(path)'") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var hasher = Hasher(algorithm)
        return try withUnsafeTemporaryAllocation(byteCount: 64 << 10, alignment: 4096) { buffer in
            while true {
                let n = try SystemCall.readFully(fd, buffer, "cannot read '\(path)'")
                if n == 0 { break }
                hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            }
            return hasher.finalize()
        }
    }
}
