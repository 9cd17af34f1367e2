import Foundation

/// The bubblewrap command line that isolates a build: no network, a fresh /tmp, the host's
/// /usr, /bin and /lib* read-only for basic tools, the inputs read-only at their store paths,
/// and only the build directory and `$out` writable. Everything else, the store directory
/// included, is read-only.
struct Sandbox {
    /// `$DEVENV_BWRAP` when set (empty: there is none), else bwrap from the usual places.
    static func bwrap(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["DEVENV_BWRAP"] { return explicit.isEmpty ? nil : explicit }
        return ["/usr/bin/bwrap", "/bin/bwrap", "/run/current-system/sw/bin/bwrap"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Where the build directory appears inside the sandbox.
    static let buildDirectory = "/build"

    var storeDirectory: String
    var inputs: [String]
    var buildDirectory: String
    var output: (staged: String, final: String)

    func arguments(environment: [String: String], command: [String]) -> [String] {
        var arguments = ["--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
        for path in ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"] {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                arguments += ["--symlink", target, path]
            } else if FileManager.default.fileExists(atPath: path) {
                arguments += ["--ro-bind", path, path]
            }
        }
        // Debian points cc, awk and friends through /etc/alternatives; the loader reads ld.so.cache.
        for path in ["/etc/alternatives", "/etc/ld.so.cache"] where FileManager.default.fileExists(atPath: path) {
            arguments += ["--ro-bind", path, path]
        }
        // The store directory is a read-only mount of its own, even when it lies under /tmp.
        arguments += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", storeDirectory]
        for input in inputs.sorted() { arguments += ["--ro-bind", input, input] }
        arguments += ["--bind", output.staged, output.final, "--bind", buildDirectory, Sandbox.buildDirectory]
        arguments += [
            "--remount-ro", storeDirectory, "--remount-ro", "/", "--chdir", Sandbox.buildDirectory, "--clearenv",
        ]
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["--setenv", key, value] }
        return arguments + ["--"] + command
    }
}
