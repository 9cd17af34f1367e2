import Foundation

/// A Debian suite's `Release` (the signed text of its `InRelease`): when it was made, until when
/// it may be used, and the SHA-256 and size of each index file, which everything else is checked
/// against.
public struct DebianRelease: Sendable {
    public struct IndexFile: Sendable, Equatable {
        public let sha256: String
        public let size: Int
    }

    public let suite: String
    public let codename: String
    public let date: Date
    public let validUntil: Date?
    public let architectures: [String]
    public let components: [String]
    /// Whether index files may be fetched by hash (`by-hash/SHA256/<hash>`), so a mirror that is
    /// being updated never serves a file of another version.
    public let acquireByHash: Bool
    /// `Architecture: all` packages are only in `binary-all`. Debian's suites that have a
    /// `binary-all` say `No-Support-for-Architecture-all: Packages`: each architecture's `Packages`
    /// lists them too, for clients that read no `binary-all`.
    public let allIsSeparate: Bool
    /// Path under `dists/SUITE/` → its SHA-256 and size.
    public let files: [String: IndexFile]
    /// apt's default pin priority of its packages: 1 for a suite marked `NotAutomatic`
    /// (experimental), 100 for one that is also `ButAutomaticUpgrades` (backports), else 500. A
    /// package comes from a suite of lower priority only when no other has a version that will do.
    public let priority: Int

    public init(text: String, file: String) throws {
        guard let stanza = try DebianStanza.parse(text, file: file).first else {
            throw PackageError("\(file): an empty Release")
        }
        func required(_ name: String) throws -> String {
            guard let value = stanza[name] else { throw PackageError("\(file): the Release has no \(name)") }
            return value
        }
        suite = try required("Suite")
        codename = stanza["Codename"] ?? suite
        guard let date = DebianRelease.date(try required("Date")) else {
            throw PackageError("\(file): the Release's Date is not a date")
        }
        self.date = date
        if let text = stanza["Valid-Until"] {
            guard let validUntil = DebianRelease.date(text) else {
                throw PackageError("\(file): the Release's Valid-Until is not a date")
            }
            self.validUntil = validUntil
        } else {
            validUntil = nil
        }
        architectures = try required("Architectures").split(separator: " ").map(String.init)
        components = try required("Components").split(separator: " ").map(String.init)
        acquireByHash = stanza["Acquire-By-Hash"] == "yes"
        allIsSeparate =
            architectures.contains("all") && stanza["No-Support-for-Architecture-all"] != "Packages"
        priority =
            stanza["NotAutomatic"] != "yes" ? 500 : stanza["ButAutomaticUpgrades"] == "yes" ? 100 : 1
        var files: [String: IndexFile] = [:]
        for line in try required("SHA256").split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0].count == 64, parts[0].allSatisfy(\.isHexDigit), let size = Int(parts[1])
            else { throw PackageError("\(file): a SHA256 line of the Release is malformed: \(line)") }
            files[String(parts[2])] = IndexFile(sha256: parts[0].lowercased(), size: size)
        }
        self.files = files
    }

    /// An RFC 2822 date as Release files write it (`Sat, 21 Nov 2026 09:15:44 UTC`).
    static func date(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEE, d MMM yyyy HH:mm:ss zzz", "EEE, dd MMM yyyy HH:mm:ss Z"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// Whether the Release may be used at `now`: not past `Valid-Until`, not made in the future
    /// (a day of clock skew allowed). A replayed old index cannot outlive its `Valid-Until`.
    public func check(at now: Date, file: String) throws {
        if let validUntil, validUntil < now {
            throw PackageError("\(file): the Release expired on \(validUntil) (Valid-Until); refusing a stale index")
        }
        if date > now.addingTimeInterval(86_400) {
            throw PackageError("\(file): the Release is dated \(date), in the future")
        }
    }
}

/// One binary package of a suite's index (a `Packages` stanza).
public struct DebianBinary: Sendable, Equatable {
    public let name: String
    /// The suite whose index lists it.
    public let suite: String
    public let version: DebianVersion
    public let architecture: String
    /// The source package it was built from, and that source's version.
    public let source: String
    public let sourceVersion: DebianVersion
    public let preDepends: [[DebianDependency]]
    public let depends: [[DebianDependency]]
    public let provides: [DebianDependency]
    /// Packages it cannot be installed with (`Conflicts` and `Breaks`).
    public let conflicts: [DebianDependency]
    /// `same`, `foreign`, `allowed`, or nil.
    public let multiArch: String?
    public let essential: Bool
    /// Pool path under the mirror: `pool/main/r/rust-ripgrep/ripgrep_14.1.1-1+b4_amd64.deb`.
    public let filename: String
    public let size: Int
    public let sha256: String
    public let summary: String
    /// In KiB, as the index says.
    public let installedSize: Int

    public static func == (lhs: DebianBinary, rhs: DebianBinary) -> Bool {
        lhs.name == rhs.name && lhs.version == rhs.version && lhs.architecture == rhs.architecture
            && lhs.sha256 == rhs.sha256
    }

    /// Whether `path` is a pool path as URLs and the lock may hold it: under `pool/`, relative,
    /// without `..` or `\\`.
    public static func isPoolPath(_ path: String) -> Bool {
        path.hasPrefix("pool/") && !path.utf8.contains(UInt8(ascii: "\\"))
            && !path.utf8.split(separator: UInt8(ascii: "/")).contains { $0.elementsEqual("..".utf8) }
    }

    /// Whether `text` is a SHA-256 as the index (lowercased) and the lock hold it: 64 lowercase
    /// hexadecimal digits.
    public static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64
            && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// `text` without the `characters` at either end.
    static func trimmed(_ text: Substring, of characters: String) -> String {
        var text = text.drop { characters.contains($0) }
        while let last = text.last, characters.contains(last) { text.removeLast() }
        return String(text)
    }

    public init(stanza: DebianStanza, file: String, suite: String) throws {
        func required(_ field: String) throws -> String {
            guard let value = stanza[field] else {
                throw PackageError("\(file): package \(stanza["Package"] ?? "?") has no \(field)")
            }
            return value
        }
        let name = try required("Package")
        guard DebianDependency.isPackageName(name) else {
            throw PackageError("\(file): '\(name)' is not a package name")
        }
        self.name = name
        self.suite = suite
        guard let version = DebianVersion(try required("Version")) else {
            throw PackageError("\(file): package \(name) has the malformed version '\(stanza["Version"] ?? "")'")
        }
        self.version = version
        architecture = try required("Architecture")
        // `Source: name` or `Source: name (version)`; absent when both are the binary's own.
        let sourceField = (stanza["Source"] ?? name).split(separator: " ", maxSplits: 1)
        // Empty, it names nothing: refused below as no package name.
        source = sourceField.first.map(String.init) ?? ""
        let sourceVersion =
            sourceField.count > 1
            ? DebianVersion(DebianBinary.trimmed(sourceField[1], of: "() ")) : version
        guard DebianDependency.isPackageName(source), let sourceVersion else {
            throw PackageError("\(file): package \(name) has the malformed Source '\(stanza["Source"] ?? "")'")
        }
        self.sourceVersion = sourceVersion
        func relations(_ field: String) throws -> [[DebianDependency]] {
            guard let text = stanza[field] else { return [] }
            guard let parsed = DebianDependency.parse(text) else {
                throw PackageError("\(file): package \(name) has a malformed \(field): \(text)")
            }
            return parsed
        }
        preDepends = try relations("Pre-Depends")
        depends = try relations("Depends")
        provides = try relations("Provides").map { group in
            guard group.count == 1 else { throw PackageError("\(file): package \(name) provides alternatives") }
            return group[0]
        }
        conflicts = try (relations("Conflicts") + relations("Breaks")).flatMap { $0 }
        multiArch = stanza["Multi-Arch"]
        essential = stanza["Essential"] == "yes"
        filename = try required("Filename")
        guard DebianBinary.isPoolPath(filename) else {
            throw PackageError("\(file): package \(name) has the unsafe Filename '\(filename)'")
        }
        guard let size = Int(try required("Size")) else { throw PackageError("\(file): package \(name) has no size") }
        self.size = size
        let sha256 = try required("SHA256").lowercased()
        guard DebianBinary.isSHA256(sha256) else {
            throw PackageError("\(file): package \(name) has a malformed SHA256")
        }
        self.sha256 = sha256
        // Its first line (the index trims lines already).
        let description = stanza["Description"] ?? ""
        summary = String(description[..<(description.utf8.firstIndex(of: 0x0A) ?? description.endIndex)])
        // In KiB; unknown beyond a PiB, so that a closure's sizes add up without overflowing.
        installedSize = Int(stanza["Installed-Size"] ?? "").flatMap { (0...(1 << 40)).contains($0) ? $0 : nil } ?? 0
    }
}
