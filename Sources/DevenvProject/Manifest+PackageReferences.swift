/// `${packages.NAME}` in a shell's `env` values and `hook` (and in a Nix project's checks and
/// scripts) is the store path of the shell's package NAME, as devenv.lock pins it for the system
/// at hand: known once locked, so replaced when the shell is entered. It is what a Nix file's
/// `"${pkgs.go}"` becomes, and what `devenv init --from-nix` writes.
extension Manifest {
    static let referenceOpen = "${packages."
    static let referenceClose = "}"
    /// The name `${packages.NAME}` gives the directory of a shell's own programs (`bin/NAME`).
    public static let programsPackage = "devenv-programs"

    /// What stands for package `name`'s store path.
    static func packageReference(_ name: String) -> String { referenceOpen + name + referenceClose }

    /// The package names `text` refers to, in order.
    static func packageReferences(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: referenceOpen) {
            guard let end = rest[start.upperBound...].range(of: referenceClose) else { break }
            names.append(String(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return names
    }

    static func unknownReference(_ name: String, of holder: String = "the shell") -> String {
        "uses the store path of '\(name)', which is not a package of \(holder) (add it to its packages)"
    }

    /// Whether `text` names a package's store path.
    static func hasPackageReferences(_ text: String) -> Bool { text.contains(referenceOpen) }

    /// `text` with each reference replaced by that package's store path in `packages`.
    public static func resolvingPackageReferences(
        in text: String, packages: @autoclosure () throws -> [LockedPackage]
    ) rethrows -> String {
        guard hasPackageReferences(text) else { return text }
        var result = text
        for package in try packages() {
            let name = PackageRequest(package.request)?.name ?? package.name
            result = result.replacingOccurrences(of: packageReference(name), with: package.outPath)
        }
        return result
    }
}

extension Manifest.Shell {
    /// Whether the shell asks for a package of this name (its programs' directory, when it has any).
    func has(_ name: String) -> Bool {
        name == Manifest.programsPackage ? !programs.isEmpty : packages.contains { $0.name == name }
    }
}
