import Glibc

/// Whole-tree operations on the file system that the store needs: removal of read-only trees.
public enum FileTree {
    /// How deeply directories may nest in a tree that is copied, hashed, serialized or unpacked:
    /// each of those goes one call deeper per level, and a tree can come from anyone (a git input
    /// 15,000 levels deep costs its author nothing). NAR reading has the same limit.
    public static let maximumDepth = 256

    /// An error once a walk of a tree reaches `depth` `maximumDepth` (at `display`).
    public static func checkDepth(_ depth: Int, at display: @autoclosure () -> String) throws {
        guard depth < maximumDepth else {
            throw SystemError("'\(display())': directories nested deeper than \(maximumDepth)")
        }
    }

    /// What `name` in the directory open at `directory` is (never following a link), at `depth`
    /// of a walk that stops at `maximumDepth`.
    public static func status(in directory: Int32, _ name: [UInt8], display: @autoclosure () -> String, depth: Int)
        throws -> stat
    {
        try checkDepth(depth, at: display())
        var st = stat()
        try SystemCall.retrying("cannot stat '\(display())'") {
            name.withCString { fstatat(directory, $0, &st, AT_SYMLINK_NOFOLLOW) }
        }
        return st
    }

    /// Removes whatever is at `path` (file, symlink or tree, even read-only, at any depth);
    /// nothing there is fine. No recursion and a fixed number of open files: the subdirectories
    /// of each directory emptied are first moved up to be entries of `path` itself, so a removal
    /// that is interrupted leaves everything under `path`, for the next one.
    public static func remove(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return }
            throw SystemError("cannot stat '\(path)': \(SystemCall.message())")
        }
        guard SystemCall.isDirectory(st) else {
            try SystemCall.retrying("cannot remove '\(path)'") { unlink(path) }
            return
        }
        // Store trees are read-only; a directory must be writable to empty it.
        try SystemCall.retrying("cannot make '\(path)' writable") { chmod(path, 0o700) }
        let root = try SystemCall.retrying("cannot open directory '\(path)'") {
            open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        defer { close(root) }
        var moved = 0
        while true {
            var subdirectories: [[UInt8]] = []
            for entry in try SystemCall.sortedEntries(ofDirectory: root, "cannot read directory '\(path)'") {
                var entryStat = stat()
                guard entry.withCString({ fstatat(root, $0, &entryStat, AT_SYMLINK_NOFOLLOW) }) == 0 else { continue }
                if SystemCall.isDirectory(entryStat) {
                    subdirectories.append(entry)
                } else {
                    try SystemCall.retrying("cannot remove '\(path)/\(entry.displayString)'") {
                        entry.withCString { unlinkat(root, $0, 0) }
                    }
                }
            }
            if subdirectories.isEmpty { break }
            for directory in subdirectories {
                let display = "\(path)/\(directory.displayString)"
                try SystemCall.retrying("cannot make '\(display)' writable") {
                    directory.withCString { fchmodat(root, $0, 0o700, 0) }
                }
                let fd = try SystemCall.retrying("cannot open directory '\(display)'") {
                    directory.withCString { openat(root, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                }
                defer { close(fd) }
                for entry in try SystemCall.sortedEntries(ofDirectory: fd, "cannot read directory '\(display)'") {
                    var entryStat = stat()
                    guard entry.withCString({ fstatat(fd, $0, &entryStat, AT_SYMLINK_NOFOLLOW) }) == 0 else {
                        continue
                    }
                    if SystemCall.isDirectory(entryStat) {
                        // Up to the top, under a name no entry there has.
                        try SystemCall.retrying("cannot make '\(display)/\(entry.displayString)' writable") {
                            entry.withCString { fchmodat(fd, $0, 0o700, 0) }
                        }
                        var name: [UInt8]
                        repeat {
                            moved += 1
                            name = Array(".devenv-remove-\(moved)".utf8)
                        } while name.withCString({ fstatat(root, $0, &entryStat, AT_SYMLINK_NOFOLLOW) }) == 0
                        try SystemCall.retrying("cannot move '\(display)/\(entry.displayString)'") {
                            entry.withCString { from in name.withCString { renameat(fd, from, root, $0) } }
                        }
                    } else {
                        try SystemCall.retrying("cannot remove '\(display)/\(entry.displayString)'") {
                            entry.withCString { unlinkat(fd, $0, 0) }
                        }
                    }
                }
                try SystemCall.retrying("cannot remove '\(display)'") {
                    directory.withCString { unlinkat(root, $0, AT_REMOVEDIR) }
                }
            }
        }
        try SystemCall.retrying("cannot remove '\(path)'") { rmdir(path) }
    }
}
