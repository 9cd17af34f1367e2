import DevenvBasics
import Glibc

extension SigningKey {
    /// The secret key in the file at `path` (as `write` and Nix write it).
    public init(contentsOf path: String) throws {
        // A key is about a hundred bytes.
        guard let text = try SmallTextFile.read(path, limit: 4096, what: "the secret key file") else {
            throw CacheError("the secret key file \(path) does not exist")
        }
        try self.init(parsing: text)
    }

    /// Writes the secret key (mode 0600) and the public key, each as Nix writes them (no
    /// newline); an existing file is never replaced (a secret must not be lost) nor written
    /// through a link, and when one cannot be written, neither is left.
    public func write(secret: String, public publicPath: String) throws {
        // A secret left alone would make the same command, run again, refuse.
        var written: [String] = []
        do {
            for (path, text, mode) in [(secret, text, 0o600), (publicPath, publicKey.text, 0o644)]
                as [(String, String, mode_t)]
            {
                let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
                guard fd >= 0 else {
                    throw CacheError(
                        errno == EEXIST
                            ? "\(path) exists; devenv does not replace a key file (remove it, or choose another)"
                            : "cannot create \(path): \(SystemCall.message())")
                }
                written.append(path)
                defer { close(fd) }
                _ = fchmod(fd, mode)
                try Array(text.utf8).withUnsafeBytes { try SystemCall.writeAll(fd, $0, "cannot write \(path)") }
            }
        } catch {
            for path in written { unlink(path) }
            throw error
        }
    }
}
