import DevenvBasics
import Glibc

extension FileTree {
    /// The digest of a regular file's bytes (a "flat" hash, as `nix-hash --flat` computes it).
    public static func hashContents(of path: String, algorithm: HashAlgorithm) throws -> Hash {
        let fd = try SystemCall.retrying("cannot open '\(path)'") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        let sink = HashingSink(algorithm)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let n = try SystemCall.readFully(fd, buffer, "cannot read '\(path)'")
            if n == 0 { break }
            sink.consume(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return sink.finalize()
    }
}
