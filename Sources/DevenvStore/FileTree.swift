import Glibc

/// Whole-tree operations on the file system that the store needs: removal of read-only trees.
public enum FileTree {
    /// Removes whatever is at `path` (file, symlink or tree, even read-only); nothing there is fine.
    public static func remove(_ path: String) throws {
        try remove(in: AT_FDCWD, name: Array(path.utf8), display: path)
    }

    private static func remove(in directory: Int32, name: [UInt8], display: @autoclosure () -> String) throws {
        var st = stat()
        if name.withCString({ fstatat(directory, $0, &st, AT_SYMLINK_NOFOLLOW) }) != 0 {
            if errno == ENOENT { return }
            throw StoreError("cannot stat '\(display())': \(SystemCall.message())")
        }
        if SystemCall.isDirectory(st) {
            // Store trees are read-only; the directory must be writable to empty it.
            try SystemCall.retrying("cannot make '\(display())' writable") {
                name.withCString { fchmodat(directory, $0, 0o700, 0) }
            }
            let fd = try SystemCall.retrying("cannot open directory '\(display())'") {
                name.withCString { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            defer { close(fd) }
            for entry in try SystemCall.sortedEntries(ofDirectory: fd, "cannot read directory '\(display())'") {
                try remove(in: fd, name: entry, display: display() + "/" + entry.displayString)
            }
        }
        try SystemCall.retrying("cannot remove '\(display())'") {
            name.withCString { unlinkat(directory, $0, SystemCall.isDirectory(st) ? AT_REMOVEDIR : 0) }
        }
    }
}
