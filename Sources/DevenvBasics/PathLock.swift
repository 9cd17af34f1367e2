import Glibc

/// An exclusive lock between processes, held on a lock file with `flock` (never through a link:
/// one at the path is an error). Releasing deletes the
/// file; a waiter that then wins the lock on the deleted file notices (its inode is no longer the
/// one at the path) and tries again, so lock files do not pile up and no two holders overlap.
public final class PathLock {
    private let path: String
    private var fd: Int32

    /// Waits until the lock at `path` is ours.
    public static func acquire(_ path: String) throws -> PathLock {
        try PathLock(path: path, wait: true)!
    }

    /// Takes the lock at `path`, or returns nil at once when another process holds it.
    public static func tryAcquire(_ path: String) throws -> PathLock? {
        try PathLock(path: path, wait: false)
    }

    private init?(path: String, wait: Bool) throws {
        self.path = path
        while true {
            let fd = try SystemCall.retrying("cannot open lock file '\(path)'") {
                open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            }
            if flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
                let code = errno
                close(fd)
                if code == EINTR { continue }
                if code == EWOULDBLOCK { return nil }
                throw SystemError("cannot lock '\(path)': \(SystemCall.message(code))")
            }
            var held = stat()
            var current = stat()
            if fstat(fd, &held) == 0, stat(path, &current) == 0, held.st_ino == current.st_ino,
                held.st_dev == current.st_dev
            {
                self.fd = fd
                return
            }
            close(fd)  // The previous holder deleted the file while we waited: start over.
        }
    }

    /// Releases the lock (also done when the value goes away).
    public func release() {
        guard fd >= 0 else { return }
        unlink(path)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
