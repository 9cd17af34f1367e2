import Glibc

/// Devenv's standard output or error, written at once (unbuffered), as `FileHandle` writes it; but
/// a stream that is closed or full (`2>&-`, `2>/dev/full`) loses what is written instead of
/// stopping the process, as `FileHandle.write` does on any failure: the command goes on and exits
/// with its own status. Standard input closed is an error, where `FileHandle` would stop too.
public enum StandardStream {
    case output, error

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            try? SystemCall.writeAll(self == .output ? 1 : 2, UnsafeRawBufferPointer(bytes), "cannot write")
        }
    }

    /// All of standard input.
    public static func readInput() throws -> [UInt8] {
        var contents: [UInt8] = []
        try withUnsafeTemporaryAllocation(byteCount: 1 << 16, alignment: 16) { buffer in
            while case let n = try SystemCall.readSome(0, buffer, "cannot read standard input"), n > 0 {
                contents += UnsafeRawBufferPointer(rebasing: buffer[..<n])
            }
        }
        return contents
    }
}
