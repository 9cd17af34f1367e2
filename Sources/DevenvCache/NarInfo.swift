import DevenvStore

/// A store path's entry in a binary cache (`HASHPART.narinfo`), in Nix 2.8's format: where its
/// NAR is, the NAR's hash and size, its references and signatures.
public struct NarInfo: Sendable, Equatable {
    public var storePath: StorePath
    /// The NAR file, relative to the cache's root (`nar/FILEHASH.nar.xz`).
    public var url: String
    /// `none`, `xz`, `bzip2`, `zstd`, … (bzip2 when a narinfo says nothing, as Nix reads it).
    public var compression: String
    public var fileHash: Hash?
    public var fileSize: UInt64?
    public var narHash: Hash
    public var narSize: UInt64
    /// Sorted, as written.
    public var references: [StorePath]
    public var deriver: StorePath?
    public var system: String?
    /// `NAME:BASE64` each, sorted.
    public var signatures: [String]
    /// A content address (`fixed:r:sha256:…`, `text:sha256:…`), as written.
    public var contentAddress: String?

    public init(
        storePath: StorePath, url: String, compression: String, fileHash: Hash?, fileSize: UInt64?, narHash: Hash,
        narSize: UInt64, references: [StorePath], deriver: StorePath? = nil, system: String? = nil,
        signatures: [String] = [], contentAddress: String? = nil
    ) {
        self.storePath = storePath
        self.url = url
        self.compression = compression
        self.fileHash = fileHash
        self.fileSize = fileSize
        self.narHash = narHash
        self.narSize = narSize
        self.references = references.sorted { $0.baseName < $1.baseName }
        self.deriver = deriver
        self.system = system
        self.signatures = signatures.sorted()
        self.contentAddress = contentAddress
    }

    /// What a cache says of a path of a store with `info`: its NAR (at `url`, compressed with
    /// `compression` into a file of `fileHash` and `fileSize`), references, deriver and content address.
    public init(describing info: PathInfo, url: String, compression: String, fileHash: Hash?, fileSize: UInt64?) {
        self.init(
            storePath: info.path, url: url, compression: compression, fileHash: fileHash, fileSize: fileSize,
            narHash: info.narHash, narSize: info.narSize, references: info.references, deriver: info.deriver,
            contentAddress: info.contentAddress?.description)
        // What the path came with from a cache still counts: a key can be rotated without pushing again.
        signatures = Array(Set(info.signatures)).sorted()
    }

    /// Reads a narinfo of a cache for `storeDirectory`; `source` names it in messages. Stricter
    /// than Nix 2.8 where 2.8 would misread (`Key:` without a space, a second `References` or
    /// `CA`) and where a hostile cache could reach outside it (a `URL` that is absolute or climbs).
    public init(parsing text: String, storeDirectory: StoreDirectory, source: String) throws {
        func fail(_ message: String) -> CacheError { CacheError("\(source): \(message)") }
        var fields: [String: String] = [:]
        var signatures: [String] = []
        for line in NarInfo.lines(of: text) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let rest = line[line.index(after: colon)...]
            guard rest.hasPrefix(" ") else { throw fail("'\(key):' must be followed by a space") }
            let value = String(rest.dropFirst())
            if key == "Sig" {
                signatures.append(value)
            } else if fields[key] != nil, ["StorePath", "URL", "NarHash", "NarSize", "References", "CA"].contains(key) {
                throw fail("'\(key)' appears twice")
            } else {
                fields[key] = value
            }
        }
        func required(_ key: String) throws -> String {
            guard let value = fields[key], !value.isEmpty else { throw fail("it has no \(key)") }
            return value
        }
        func hash(_ key: String) throws -> Hash? {
            guard let value = fields[key] else { return nil }
            guard let hash = try? Hash(parsing: value) else {
                throw fail("\(key) '\(value)' is not a hash with its algorithm")
            }
            return hash
        }
        func size(_ key: String) throws -> UInt64? {
            guard let value = fields[key] else { return nil }
            guard let number = UInt64(value) else { throw fail("\(key) '\(value)' is not a size") }
            // As the store records sizes (and no file is near): what is added to it cannot overflow.
            guard number <= UInt64(Int64.max) else { throw fail("\(key) \(value) is larger than any file") }
            return number
        }
        let storePath: StorePath
        do {
            storePath = try storeDirectory.storePath(parsing: try required("StorePath"))
        } catch let error as CacheError {
            throw error
        } catch {
            throw fail("StorePath '\(fields["StorePath"] ?? "")' is not a path of \(storeDirectory.path)")
        }
        let url = try required("URL")
        guard NarInfo.isInsideTheCache(url) else { throw fail("URL '\(url)' leaves the cache") }
        guard let narHash = try hash("NarHash") else { throw fail("it has no NarHash") }
        guard let narSize = try size("NarSize"), narSize > 0 else { throw fail("it has no NarSize") }
        let references = try (fields["References"] ?? "").split(separator: " ").map { name in
            do { return try StorePath(baseName: name) } catch { throw fail("reference '\(name)' is not a store path") }
        }
        let deriver = try fields["Deriver"].flatMap { name -> StorePath? in
            guard name != "unknown-deriver" else { return nil }
            do { return try StorePath(baseName: name) } catch { throw fail("Deriver '\(name)' is not a store path") }
        }
        self.init(
            storePath: storePath, url: url, compression: fields["Compression"] ?? "bzip2",
            fileHash: try hash("FileHash"), fileSize: try size("FileSize"), narHash: narHash, narSize: narSize,
            references: references, deriver: deriver, system: fields["System"], signatures: signatures,
            contentAddress: fields["CA"])
    }

    /// The lines of a narinfo or a `nix-cache-info`, split at each LF as Nix splits them (to
    /// Swift, CR LF is one character, which is not "\n"); empty ones dropped.
    static func lines(of text: String) -> [Substring] {
        text.unicodeScalars.split(separator: "\n").map(Substring.init)
    }

    /// A relative path of plain names (no `..`, no scheme, no `/` at the start), without percent
    /// escapes (a server decodes `%2e%2e` into `..`), spaces or control characters.
    static func isInsideTheCache(_ url: String) -> Bool {
        !url.hasPrefix("/") && !url.contains("://") && !url.contains("\\") && !url.contains("%")
            && !url.unicodeScalars.contains(where: { $0.value <= 0x20 || (0x7F...0x9F).contains($0.value) })
            && url.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
                !$0.isEmpty && $0 != "." && $0 != ".."
            }
    }

    /// The text Nix 2.8 writes, byte for byte (its key order; `References: ` even when empty).
    public func text(storeDirectory: StoreDirectory) -> String {
        var lines = [
            "StorePath: " + storeDirectory.fullPath(of: storePath), "URL: " + url, "Compression: " + compression,
        ]
        if let fileHash { lines.append("FileHash: " + fileHash.formatted(.nix32, prefixed: true)) }
        if let fileSize { lines.append("FileSize: \(fileSize)") }
        lines.append("NarHash: " + narHash.formatted(.nix32, prefixed: true))
        lines.append("NarSize: \(narSize)")
        lines.append("References: " + references.map(\.baseName).joined(separator: " "))
        if let deriver { lines.append("Deriver: " + deriver.baseName) }
        if let system { lines.append("System: " + system) }
        lines += signatures.map { "Sig: " + $0 }
        if let contentAddress { lines.append("CA: " + contentAddress) }
        return lines.map { $0 + "\n" }.joined()
    }

    /// What a signature signs: `1;PATH;NARHASH;NARSIZE;REFERENCES` (full paths, comma-separated).
    public func fingerprint(storeDirectory: StoreDirectory) -> String {
        "1;\(storeDirectory.fullPath(of: storePath));\(narHash.formatted(.nix32, prefixed: true));\(narSize);"
            + references.map { storeDirectory.fullPath(of: $0) }.joined(separator: ",")
    }

    /// Whether one of its signatures is by one of `keys`.
    public func isSigned(by keys: [TrustedKey], storeDirectory: StoreDirectory) -> Bool {
        let fingerprint = fingerprint(storeDirectory: storeDirectory)
        return signatures.contains { signature in keys.contains { $0.verifies(signature, of: fingerprint) } }
    }

    /// Its content address when the address is the path's own (Nix trusts such a path without a
    /// signature, once its content matches the address), else nil.
    public func verifiedContentAddress(storeDirectory: StoreDirectory) -> ContentAddress? {
        guard let text = contentAddress, let address = try? ContentAddress(parsing: text),
            let computed = try? storeDirectory.path(
                for: address, name: storePath.name, references: references.filter { $0 != storePath },
                selfReference: references.contains(storePath))
        else { return nil }
        return computed == storePath ? address : nil
    }

    /// Signs it with `key` (a signature by a key of the same name is replaced only when equal).
    public mutating func sign(with key: SigningKey, storeDirectory: StoreDirectory) throws {
        let signature = try key.sign(fingerprint(storeDirectory: storeDirectory))
        if !signatures.contains(signature) { signatures = (signatures + [signature]).sorted() }
    }
}
