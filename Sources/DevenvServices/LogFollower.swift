import Foundation
import Glibc

/// What is added to a service's log from now on, across its rotations (`devenv logs -f`).
public final class LogFollower {
    private let path: String
    private var inode: ino_t = 0
    private var offset: off_t = 0
    private var pending: [UInt8] = []

    /// Starts at the log's current end.
    public init(path: String) {
        self.path = path
        var info = stat()
        if stat(path, &info) == 0 {
            inode = info.st_ino
            offset = info.st_size
        }
    }

    /// The whole lines written since the last call (a new file, after a rotation, from its start).
    public func newLines() -> [String] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        if info.st_ino != inode || info.st_size < offset {
            inode = info.st_ino
            offset = 0
            pending = []
        }
        guard info.st_size > offset else { return [] }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = pread(fd, &buffer, buffer.count, offset)
            guard count > 0 else { break }
            pending += buffer[..<count]
            offset += off_t(count)
        }
        guard let last = pending.lastIndex(of: 0x0A) else { return [] }
        let lines = pending[..<last].split(separator: 0x0A, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        pending.removeFirst(last + 1)
        return lines
    }
}
