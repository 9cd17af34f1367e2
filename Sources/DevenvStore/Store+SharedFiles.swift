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

    /// Links the regular files of the normalized directory `tree` to the shared copies, adding
    /// the ones not there yet. A file the file system cannot link again (too many links) stays a copy.
    func shareIdenticalFiles(in tree: String) throws {
        let shared = sharedFilesDirectory
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        var pending: [(directory: String, depth: Int)] = [(tree, 0)]
        while let (directory, depth) = pending.popLast() {
            try FileTree.checkDepth(depth, at: directory)
            var opened = false
            defer {
                // As normalization left it: read-only, its time canonical again after the renames.
                if opened {
                    chmod(directory, 0o555)
                    utimensat(AT_FDCWD, directory, FileTree.canonicalTimes, AT_SYMLINK_NOFOLLOW)
                }
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
                let path = directory + "/" + name
                let st = try SystemCall.lstat(path)
                if SystemCall.isDirectory(st) {
                    pending.append((path, depth + 1))
                    continue
                }
                guard SystemCall.isRegular(st), st.st_size > 0 else { continue }
                let copy =
                    shared + "/" + (try FileTree.hashContents(of: path, algorithm: .sha256)).nix32
                    + (SystemCall.isExecutable(st) ? "x" : "")
                if link(path, copy) == 0 { continue }
                guard errno == EEXIST, let existing = try SystemCall.lstatIfExists(copy),
                    SystemCall.isRegular(existing), existing.st_ino != st.st_ino,
                    existing.st_mode & 0o7777 == st.st_mode & 0o7777
                else { continue }
                if !opened {
                    try SystemCall.retrying("cannot make '\(directory)' writable") { chmod(directory, 0o755) }
                    opened = true
                }
                let temporary = directory + "/.devenv-shared"
                guard link(copy, temporary) == 0 else { continue }
                try SystemCall.retrying("cannot replace '\(path)'") { rename(temporary, path) }
            }
        }
    }

    /// Removes the shared copies that no store path has any more (a link count of 1).
    func removeUnusedSharedFiles() throws {
        let shared = sharedFilesDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: shared)) ?? [] {
            if let st = try SystemCall.lstatIfExists(shared + "/" + name), st.st_nlink == 1 {
                unlink(shared + "/" + name)
            }
        }
    }
}
