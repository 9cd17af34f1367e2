import DevenvStore
import Foundation
import Glibc

/// The NAR hash of a tree with only the entries a Nix filter function keeps (`builtins.path`'s
/// and `filterSource`'s `filter`): as Nix's `dumpPath`, the filter sees each entry below the
/// root, by its full path and type, and a rejected directory is left out with all it holds.
enum NixFilteredNar {
    static func hash(of root: String, keeping keep: (_ path: String, _ type: String) throws -> Bool) throws -> Hash {
        var hasher = Hasher(.sha256)
        func write(_ bytes: [UInt8]) {
            withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { hasher.update($0) }
            hasher.update(bytes)
            let padding = (8 - bytes.count % 8) % 8
            if padding > 0 { hasher.update([UInt8](repeating: 0, count: padding)) }
        }
        func write(_ text: String) { write(Array(text.utf8)) }

        func dump(_ path: String) throws {
            var status = stat()
            guard lstat(path, &status) == 0 else {
                throw NixEvalError("getting status of '\(path)': \(String(cString: strerror(errno)))")
            }
            write("(")
            write("type")
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                write("regular")
                if status.st_mode & S_IXUSR != 0 {
                    write("executable")
                    write("")
                }
                write("contents")
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw NixEvalError("opening file '\(path)': \(String(cString: strerror(errno)))")
                }
                write(Array(data))
            case S_IFLNK:
                write("symlink")
                write("target")
                write(try FileManager.default.destinationOfSymbolicLink(atPath: path))
            case S_IFDIR:
                write("directory")
                let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted(by: NixAttrs.precedes)
                for name in names {
                    let child = path + "/" + name
                    guard try keep(child, type(of: child)) else { continue }
                    write("entry")
                    write("(")
                    write("name")
                    write(name)
                    write("node")
                    try dump(child)
                    write(")")
                }
            default:
                throw NixEvalError("file '\(path)' has an unsupported type")
            }
            write(")")
        }

        write("nix-archive-1")
        try dump(root)
        return hasher.finalize()
    }

    /// The type as the filter is told it.
    private static func type(of path: String) -> String {
        var status = stat()
        guard lstat(path, &status) == 0 else { return "unknown" }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return "regular"
        case S_IFDIR: return "directory"
        case S_IFLNK: return "symlink"
        default: return "unknown"
        }
    }
}
