import DevenvBasics
import Foundation
import Glibc

/// One restore in progress: the nodes of a NAR made as entries under `root` (a directory fd the
/// paths are relative to), as `options` say.
final class NarRestoration {
    private let input: NarInput
    private let root: Int32
    private let options: NarReader.Options
    private let umask: mode_t
    private var writers: RestoreWriters?
    /// The directories made (relative to `root`), in the order made: made read-only at the end
    /// when canonical, since files may still be written into them until then.
    private var directories: [[UInt8]] = []

    init(input: NarInput, root: Int32, options: NarReader.Options) {
        self.input = input
        self.root = root
        self.options = options
        let mask = NarRestoration.currentUmask()
        umask = mask
        writers =
            options.writers > 0
            ? RestoreWriters(root: root, umask: mask, threads: options.writers) : nil
    }

    /// The process's umask, read without changing it (`umask()` can only be read by setting it,
    /// which other threads creating files at that moment would see).
    static func currentUmask() -> mode_t {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
            let mask = mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8)
        {
            return mask
        }
        let mask = Glibc.umask(0o022)
        Glibc.umask(mask)
        return mask
    }

    /// Makes the node the input is at as `name` in `directory` (at `path` from the root).
    func node(in directory: Int32, name: [UInt8], path: [UInt8], depth: Int) throws {
        guard depth < NarReader.maxDepth else {
            throw input.error("directories nested deeper than \(NarReader.maxDepth)")
        }
        try input.expectToken(Token.open)
        try input.expectToken(Token.type)
        let kind = try input.readString(limit: NarReader.maxKeywordLength, "node type")
        switch kind {
        case Token.regular:
            var keyword = try input.readString(limit: NarReader.maxKeywordLength, "'executable' or 'contents'")
            var executable = false
            if keyword == Token.executable {
                guard try input.readString(limit: NarReader.maxKeywordLength, "executable marker").isEmpty else {
                    throw input.error("executable marker has non-empty value")
                }
                executable = true
                keyword = try input.readString(limit: NarReader.maxKeywordLength, "'contents'")
            }
            guard keyword == Token.contents else { throw input.unexpected(keyword, expected: "contents") }
            let length = try input.contentsLength()
            // Written by the writers by its path from the root, unless that path is too long to open;
            // a large file in pieces.
            if let writers, path.count < 3072 {
                if length <= RestoreWriters.largest {
                    try writers.write(path, count: Int(length), executable: executable) { buffer in
                        try input.readContents(into: buffer)
                    }
                } else {
                    try writers.write(path, largeCount: Int(length), executable: executable) { piece in
                        try input.readPiece(into: piece)
                    }
                    try input.readPadding(length)
                }
            } else {
                try file(in: directory, name: name, length: length, executable: executable)
            }
        case Token.symlink:
            try input.expectToken(Token.target)
            let target = try input.readString(limit: NarReader.maxTargetLength, "symlink target")
            guard !target.isEmpty, !target.contains(0) else {
                throw input.error("symlink target is empty or contains NUL")
            }
            try SystemCall.retrying("cannot create symlink '\(name.displayString)'") {
                target.withCString { t in name.withCString { symlinkat(t, directory, $0) } }
            }
            if options.canonical {
                _ = name.withCString { utimensat(directory, $0, FileTree.canonicalTimes, AT_SYMLINK_NOFOLLOW) }
            }
        case Token.directory:
            try SystemCall.retrying("cannot create directory '\(name.displayString)'") {
                name.withCString { mkdirat(directory, $0, 0o777 & ~umask) }
            }
            if options.canonical { directories.append(path) }
            let fd = try SystemCall.retrying("cannot open directory '\(name.displayString)'") {
                name.withCString { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            defer { close(fd) }
            var previous: [UInt8]?
            while true {
                let keyword = try input.readString(limit: NarReader.maxKeywordLength, "'entry' or ')'")
                if keyword == Token.close { return }
                guard keyword == Token.entry else { throw input.unexpected(keyword, expected: "entry") }
                try input.expectToken(Token.open)
                try input.expectToken(Token.name)
                let entryName = try input.readString(limit: NarReader.maxNameLength, "entry name")
                try NarReader.validate(entryName, input)
                if let previous, !previous.lexicographicallyPrecedes(entryName) {
                    throw input.error(
                        previous == entryName
                            ? "duplicate entry '\(entryName.displayString)'"
                            : "directory is not sorted: '\(entryName.displayString)' after '\(previous.displayString)'")
                }
                previous = entryName
                try input.expectToken(Token.node)
                try node(in: fd, name: entryName, path: path + [UInt8(ascii: "/")] + entryName, depth: depth + 1)
                try input.expectToken(Token.close)
            }
        default:
            throw input.unexpected(kind, expected: "regular, symlink or directory")
        }
        try input.expectToken(Token.close)
    }

    /// Writes a regular file as it is read.
    private func file(in directory: Int32, name: [UInt8], length: UInt64, executable: Bool) throws {
        let mode: mode_t =
            options.canonical ? (executable ? 0o555 : 0o444) : (executable ? 0o777 : 0o666) & ~umask
        let fd = try SystemCall.retrying("cannot create file '\(name.displayString)'") {
            name.withCString { openat(directory, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
        }
        defer { close(fd) }
        try input.readContents(length) { chunk in try SystemCall.writeAll(fd, chunk, "cannot write file") }
        if options.canonical {
            // Unless the umask took nothing the store keeps.
            if umask & 0o555 != 0 {
                try SystemCall.retrying("cannot set the mode of '\(name.displayString)'") { fchmod(fd, mode) }
            }
            futimens(fd, FileTree.canonicalTimes)
        }
    }

    /// Waits for the writers (throwing the first failure), then, when the restore `completed`
    /// and is canonical, makes the directories read-only with the canonical time, deepest first.
    func finish(completed: Bool) throws {
        if let writers {
            self.writers = nil
            try writers.finish()
        }
        guard completed else { return }
        for path in directories.reversed() {
            try SystemCall.retrying("cannot set the mode of '\(path.displayString)'") {
                path.withCString { fchmodat(root, $0, 0o555, 0) }
            }
            _ = path.withCString { utimensat(root, $0, FileTree.canonicalTimes, AT_SYMLINK_NOFOLLOW) }
        }
        directories = []
    }
}
