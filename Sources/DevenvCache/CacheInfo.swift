import Foundation

/// A binary cache's `nix-cache-info`: the store directory its paths belong to, whether clients
/// may ask it about many paths at once, and its priority (lower is asked first).
public struct CacheInfo: Sendable, Equatable {
    public var storeDirectory: String
    public var wantMassQuery: Bool
    public var priority: Int?

    public init(storeDirectory: String, wantMassQuery: Bool = false, priority: Int? = nil) {
        self.storeDirectory = storeDirectory
        self.wantMassQuery = wantMassQuery
        self.priority = priority
    }

    /// Reads it as Nix does: `Key: value` lines, values trimmed (of spaces, tabs and CRs, so
    /// CRLF lines read too), other lines and keys ignored; a cache that does not say its store
    /// directory is refused.
    public init(parsing text: String, source: String) throws {
        var fields: [String: String] = [:]
        for line in NarInfo.lines(of: text) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(
                in: CharacterSet(charactersIn: " \t\r"))
        }
        guard let storeDirectory = fields["StoreDir"] else {
            throw CacheError("\(source): it does not say its StoreDir")
        }
        guard storeDirectory.hasPrefix("/") else {
            throw CacheError("\(source): its StoreDir '\(storeDirectory)' is not an absolute path")
        }
        guard fields["Priority"].map({ Int($0) != nil }) ?? true else {
            throw CacheError("\(source): Priority '\(fields["Priority"]!)' is not a whole number devenv can hold")
        }
        self.init(
            storeDirectory: storeDirectory, wantMassQuery: fields["WantMassQuery"] == "1",
            priority: fields["Priority"].flatMap { Int($0) })
    }

    /// As Nix 2.8 writes it: `StoreDir` first, then what is set.
    public var text: String {
        "StoreDir: \(storeDirectory)\n" + (wantMassQuery ? "WantMassQuery: 1\n" : "")
            + (priority.map { "Priority: \($0)\n" } ?? "")
    }
}
