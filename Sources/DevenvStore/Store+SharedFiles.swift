import DevenvBasics
import Foundation
import Glibc

/// Files that are the same in several store paths cost their bytes once, as with
/// `nix-store --optimise`: each regular file of a new tree becomes a hard link to
/// `<store>/.links/<SHA-256 of its bytes, base-32>` (with `x` appended for an executable), the
/// first copy seen becoming that file. Store files are never written, so paths may share an
/// inode; their NARs do not change.
extension Store {
    var sharedFilesDirectory: String { directory.path + "/.links" }

    /// The shared copies, opened for linking (made when missing).
    func sharedFiles() throws -> SharedFiles { try SharedFiles(directory: sharedFilesDirectory) }

    /// Links the regular files of the normalized directory `tree` to the shared copies, adding
    /// the ones not there yet.
    func shareIdenticalFiles(in tree: String) throws {
        let shared = try sharedFiles()
        var pending: [(directory: String, depth: Int)] = [(tree, 0)]
        while let (directory, depth) = pending.popLast() {
            try FileTree.checkDepth(depth, at: directory)
            let fd = try SystemCall.retrying("cannot open '\(directory)'") {
                open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            defer { close(fd) }
            // Writable while files are replaced; then as normalization left it, its time canonical again.
            try SystemCall.retrying("cannot make '\(directory)' writable") { fchmod(fd, 0o755) }
            defer {
                fchmod(fd, 0o555)
                futimens(fd, FileTree.canonicalTimes)
            }
            for name in try SystemCall.sortedEntries(ofDirectory: fd, "cannot read '\(directory)'") {
                let path = directory + "/" + name.displayString
                let st = try SystemCall.lstat(path)
                if SystemCall.isDirectory(st) {
                    pending.append((path, depth + 1))
                } else if SystemCall.isRegular(st), st.st_size > 0 {
                    try shared.share(
                        name, in: fd, hash: try FileTree.hashContents(of: path, algorithm: .sha256),
                        executable: SystemCall.isExecutable(st))
                }
            }
        }
    }

    /// Removes the shared copies that no store path has any more (a link count of 1), and the
    /// links a killed process left on their way into a tree. Only while no other process runs.
    func removeUnusedSharedFiles() throws {
        let shared = sharedFilesDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: shared)) ?? [] {
            if try name.hasPrefix(SharedFiles.temporaryPrefix)
                || SystemCall.lstatIfExists(shared + "/" + name)?.st_nlink == 1
            {
                unlink(shared + "/" + name)
            }
        }
    }

    /// Links the files of the valid paths added without sharing (substituted ones) to the shared
    /// copies. Only while no other process runs: a path's directories are writable meanwhile.
    func shareUnsharedPaths() throws {
        for path in try database.unsharedPaths() {
            try shareIdenticalFiles(in: directory.fullPath(of: path))
            try database.markShared(path)
        }
    }
}

/// The store's `.links` directory, open: where a file of a new tree is linked by its content.
final class SharedFiles {
    private let fd: Int32

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        fd = try SystemCall.retrying("cannot open '\(directory)'") {
            open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
    }

    deinit { close(fd) }

    /// Makes the regular file `name` (in the writable directory `directory`), whose bytes have
    /// `hash`, the shared copy of its content, or a link to the one there is. The link replaces
    /// the file by a rename from a name in `.links`, so the tree never holds an entry of devenv's
    /// (a valid path's NAR stays the same even if this process dies meanwhile). A copy whose
    /// mode differs, or that the file system cannot link once more (too many links), leaves the
    /// file as it is.
    func share(_ name: [UInt8], in directory: Int32, hash: Hash, executable: Bool) throws {
        let copy = hash.nix32 + (executable ? "x" : "")
        if name.withCString({ linkat(directory, $0, fd, copy, 0) }) == 0 { return }
        var existing = stat()
        var own = stat()
        guard errno == EEXIST, fstatat(fd, copy, &existing, AT_SYMLINK_NOFOLLOW) == 0,
            name.withCString({ fstatat(directory, $0, &own, AT_SYMLINK_NOFOLLOW) }) == 0,
            SystemCall.isRegular(existing), existing.st_ino != own.st_ino,
            existing.st_mode & 0o7777 == own.st_mode & 0o7777
        else { return }
        let temporary = SharedFiles.temporaryPrefix + "\(getpid())-\(UUID().uuidString)"
        guard linkat(fd, copy, fd, temporary, 0) == 0 else { return }
        try SystemCall.retrying("cannot replace '\(name.displayString)'") {
            name.withCString { renameat(fd, temporary, directory, $0) }
        }
    }

    /// Names in `.links` of links on their way into a tree; garbage collection, which runs alone,
    /// removes those a killed process left.
    static let temporaryPrefix = ".sharing-"
}
