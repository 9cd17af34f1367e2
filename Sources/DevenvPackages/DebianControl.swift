import Foundation

/// Debian's control-file format (deb822), as `Packages`, `Release` and a `.deb`'s `control` use
/// it: stanzas separated by blank lines, each of `Field: value` lines, a value continued on lines
/// that start with a space or a tab. Field names compare without case.
public struct DebianStanza: Sendable {
    /// In the order written, names as written.
    public private(set) var fields: [(name: String, value: String)] = []

    public subscript(_ name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The stanzas of `text`; a line that is neither a field nor a continuation is an error
    /// naming its line.
    public static func parse(_ text: String, file: String) throws -> [DebianStanza] {
        var stanzas: [DebianStanza] = []
        var current = DebianStanza()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) {
                if !current.fields.isEmpty { stanzas.append(current) }
                current = DebianStanza()
                continue
            }
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                guard !current.fields.isEmpty else {
                    throw PackageError("\(file):\(index + 1): a continuation line before any field")
                }
                current.fields[current.fields.count - 1].value += "\n" + line.dropFirst()
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), colon > line.startIndex,
                !line[..<colon].contains(where: \.isWhitespace)
            else { throw PackageError("\(file):\(index + 1): not a `Field: value` line") }
            current.fields.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        if !current.fields.isEmpty { stanzas.append(current) }
        return stanzas
    }
}
