import Glibc

extension FileTree {
    /// Puts the tree at `path` into the store's canonical form in place: regular files 0444 (0555
    /// when the owner may execute), directories 0555, every mtime 1 second after the epoch.
    /// Anything but files, directories and symlinks is refused.
    public static func normalize(_ path: String) throws {
        try normalize(in: AT_FDCWD, Array(path.utf8), display: path, depth: 0)
    }

    private static func normalize(in directory: Int32, _ name: [UInt8], display: String, depth: Int) throws {
        let st = try status(in: directory, name, display: display, depth: depth)
        if SystemCall.isSymlink(st) {
            try SystemCall.retrying("cannot set the time of '\(display)'") {
                name.withCString { utimensat(directory, $0, canonicalTimes, AT_SYMLINK_NOFOLLOW) }
            }
            return
        }
        guard SystemCall.isRegular(st) || SystemCall.isDirectory(st) else {
            throw SystemError("file '\(display)' has an unsupported type")
        }
        let flags = SystemCall.isDirectory(st) ? O_RDONLY | O_DIRECTORY : O_RDONLY
        let fd = try SystemCall.retrying("cannot open '\(display)'") {
            name.withCString { openat(directory, $0, flags | O_NOFOLLOW | O_CLOEXEC) }
        }
        defer { close(fd) }
        if SystemCall.isDirectory(st) {
            // Writable while its entries are visited; read-only once they are done.
            try SystemCall.retrying("cannot set the mode of '\(display)'") { fchmod(fd, 0o700) }
            for entry in try SystemCall.sortedEntries(ofDirectory: fd, "cannot read directory '\(display)'") {
                try normalize(in: fd, entry, display: display + "/" + entry.displayString, depth: depth + 1)
            }
        }
        let mode: mode_t = SystemCall.isDirectory(st) || SystemCall.isExecutable(st) ? 0o555 : 0o444
        try SystemCall.retrying("cannot set the mode of '\(display)'") { fchmod(fd, mode) }
        try SystemCall.retrying("cannot set the time of '\(display)'") { futimens(fd, canonicalTimes) }
    }
}
