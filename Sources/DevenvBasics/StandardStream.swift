import Glibc

/// Devenv's standard output or error, written at once (unbuffered), as `FileHandle` writes it; but
/// a stream that is closed or full (`2>&-`, `2>/dev/full`) loses what is written instead of
/// stopping the process, as `FileHandle.write` does on any failure: the command goes on and exits
/// with its own status.
public enum StandardStream {
    case output, error

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            try? SystemCall.writeAll(self == .output ? 1 : 2, UnsafeRawBufferPointer(bytes), "cannot write")
        }
    }
}
