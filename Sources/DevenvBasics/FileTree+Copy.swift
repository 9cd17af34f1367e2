import Glibc

extension FileTree {
    /// Copies the tree at `source` to the new entry `destination`, already in the store's
    /// canonical form: regular files 0444 (0555 when the owner may execute), directories 0555,
    /// every mtime 1 second after the epoch. Symlinks are copied, never followed; hard links
    /// become separate files; any other file type is refused.
    public static func copyNormalized(from source: String, to destination: String) throws {
        try copyNode(
            from: AT_FDCWD, Array(source.utf8), to: AT_FDCWD, Array(destination.utf8), display: source, depth: 0)
    }

    /// 1970-01-01T00:00:01, as Nix sets it: 0 would mean "unknown" to some tools.
    public static let canonicalTimes = [timespec(tv_sec: 1, tv_nsec: 0), timespec(tv_sec: 1, tv_nsec: 0)]

    private static func copyNode(
        from sourceDirectory: Int32, _ sourceName: [UInt8], to targetDirectory: Int32, _ targetName: [UInt8],
        display: String, depth: Int
    ) throws {
        let st = try status(in: sourceDirectory, sourceName, display: display, depth: depth)
        if SystemCall.isRegular(st) {
            let input = try SystemCall.retrying("cannot open '\(display)'") {
                sourceName.withCString { openat(sourceDirectory, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            }
            defer { close(input) }
            let output = try SystemCall.retrying("cannot create a copy of '\(display)'") {
                targetName.withCString {
                    openat(targetDirectory, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                }
            }
            defer { close(output) }
            try copyContents(from: input, to: output, display: display)
            try SystemCall.retrying("cannot set the mode of the copy of '\(display)'") {
                fchmod(output, SystemCall.isExecutable(st) ? 0o555 : 0o444)
            }
            try SystemCall.retrying("cannot set the time of the copy of '\(display)'") {
                futimens(output, canonicalTimes)
            }
        } else if SystemCall.isSymlink(st) {
            let target = try SystemCall.readLink(
                in: sourceDirectory, name: sourceName, "cannot read symlink '\(display)'")
            try SystemCall.retrying("cannot create a copy of symlink '\(display)'") {
                target.withCString { t in targetName.withCString { symlinkat(t, targetDirectory, $0) } }
            }
            try SystemCall.retrying("cannot set the time of the copy of '\(display)'") {
                targetName.withCString { utimensat(targetDirectory, $0, canonicalTimes, AT_SYMLINK_NOFOLLOW) }
            }
        } else if SystemCall.isDirectory(st) {
            let input = try SystemCall.retrying("cannot open directory '\(display)'") {
                sourceName.withCString { openat(sourceDirectory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            defer { close(input) }
            try SystemCall.retrying("cannot create a copy of directory '\(display)'") {
                targetName.withCString { mkdirat(targetDirectory, $0, 0o700) }
            }
            let output = try SystemCall.retrying("cannot open the copy of '\(display)'") {
                targetName.withCString { openat(targetDirectory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            defer { close(output) }
            for entry in try SystemCall.sortedEntries(ofDirectory: input, "cannot read directory '\(display)'") {
                try copyNode(
                    from: input, entry, to: output, entry, display: display + "/" + entry.displayString,
                    depth: depth + 1)
            }
            try SystemCall.retrying("cannot set the mode of the copy of '\(display)'") { fchmod(output, 0o555) }
            try SystemCall.retrying("cannot set the time of the copy of '\(display)'") {
                futimens(output, canonicalTimes)
            }
        } else {
            throw SystemError(
                "file '\(display)' has an unsupported type (only files, directories and symlinks can be added)")
        }
    }

    /// Copies the rest of the file open at `input` to `output`, in the kernel where it can.
    public static func copyContents(from input: Int32, to output: Int32, display: String) throws {
        while true {
            let n = LinuxCall.copyFileRange(input, output, length: 1 << 30)
            if n > 0 { continue }
            if n == 0 { return }
            if errno == EINTR { continue }
            // Not supported between these file systems: copy through a buffer instead.
            if errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP { break }
            throw SystemError("cannot copy '\(display)': \(SystemCall.message())")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let n = try SystemCall.readFully(input, buffer, "cannot read '\(display)'")
            if n == 0 { return }
            try SystemCall.writeAll(output, UnsafeRawBufferPointer(rebasing: buffer[..<n]), "cannot copy '\(display)'")
        }
    }
}
