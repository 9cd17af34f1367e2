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
}
