import Foundation

/// Debian's control-file format (deb822), as `Packages`, `Release` and a `.deb`'s `control` use
/// it: stanzas separated by blank lines, each of `Field: value` lines, a value continued on lines
/// that start with a space or a tab. Field names compare without case.
public struct DebianStanza: Sendable {
    /// In the order written, names as written.
    private var fields: [(name: String, value: String)] = []

    /// The first field named `name`, in any case. A scan, not a table: a suite's `Packages` has
    /// some 70,000 stanzas of about twenty fields, a dozen of them read.
    public subscript(_ name: String) -> String? {
        fields.first { DebianStanza.sameName($0.name, name) }?.value
    }

    /// Whether two field names are the same but for ASCII case.
    private static func sameName(_ a: String, _ b: String) -> Bool {
        func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }
        return a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
    }

    /// The stanzas of `text`; a line that is neither a field nor a continuation is an error
    /// naming its line. Read as bytes: a `Packages` file is tens of megabytes.
    public static func parse(_ text: String, file: String) throws -> [DebianStanza] {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0, file: file) }
    }

    /// The same, of the file's bytes as read (a `Packages` file is tens of megabytes: no copy).
    public static func parse(_ data: Data, file: String) throws -> [DebianStanza] {
        try data.withUnsafeBytes { try parse(bytes: $0.bindMemory(to: UInt8.self), file: file) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> [DebianStanza] {
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
        var stanzas: [DebianStanza] = []
        var current = DebianStanza()
        var lineNumber = 0
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            defer { start = end + 1 }
            var trimmedEnd = end
            while trimmedEnd > start && isBlank(bytes[trimmedEnd - 1]) { trimmedEnd -= 1 }
            if trimmedEnd == start {
                if !current.fields.isEmpty { stanzas.append(current) }
                current = DebianStanza()
                continue
            }
            func text(_ from: Int, _ to: Int) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self)
            }
            if bytes[start] == 0x20 || bytes[start] == 0x09 {
                guard !current.fields.isEmpty else {
                    throw PackageError("\(file):\(lineNumber): a continuation line before any field")
                }
                current.fields[current.fields.count - 1].value += "\n" + text(start + 1, end)
                continue
            }
            if bytes[start] == UInt8(ascii: "#") { continue }
            var colon = start
            while colon < end && bytes[colon] != UInt8(ascii: ":") && !isBlank(bytes[colon]) { colon += 1 }
            guard colon < end, colon > start, bytes[colon] == UInt8(ascii: ":") else {
                throw PackageError("\(file):\(lineNumber): not a `Field: value` line")
            }
            var valueStart = colon + 1
            while valueStart < trimmedEnd && isBlank(bytes[valueStart]) { valueStart += 1 }
            current.fields.append((text(start, colon), text(valueStart, trimmedEnd)))
        }
        if !current.fields.isEmpty { stanzas.append(current) }
        return stanzas
    }
}
