import Glibc

/// The system this process runs on, in Nix's naming: `x86_64-linux`, `aarch64-linux`, ...
public enum CurrentSystem {
    public static let name: String = {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: info.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let kernel = withUnsafeBytes(of: info.sysname) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let os = kernel == "Darwin" ? "darwin" : kernel.lowercased()
        return "\(machine == "arm64" ? "aarch64" : machine)-\(os)"
    }()

    /// The systems a manifest, recipe or lock may name: Nix's names for the platforms it builds for.
    public static let known: Set<String> = [
        "x86_64-linux", "aarch64-linux", "i686-linux", "armv6l-linux", "armv7l-linux", "riscv64-linux",
        "powerpc64le-linux", "x86_64-darwin", "aarch64-darwin",
    ]

    /// "'evil-os' is not a system devenv knows (…)", or nil for a known system.
    public static func problem(with system: String) -> String? {
        known.contains(system)
            ? nil
            : "\(system.debugDescription) is not a system devenv knows (\(known.sorted().joined(separator: ", ")))"
    }
}
