import CLinux
import Foundation
import Glibc

// What is Linux's own: the system calls Swift's Glibc module does not import (through CLinux), a
// process's start time from /proc, this executable's path, and the bubblewrap command line that
// isolates a build.

/// Linux calls that have no Swift form elsewhere.
public enum LinuxCall {
    /// `renameat2(RENAME_NOREPLACE)`: fails (EEXIST) rather than replace what is at `to`.
    public static func renameNoReplace(_ from: String, _ to: String) -> Int32 { devenv_rename_noreplace(from, to) }

    /// `copy_file_range` of up to `length` bytes from `input` to `output`, in the kernel.
    public static func copyFileRange(_ input: Int32, _ output: Int32, length: Int) -> Int {
        devenv_copy_file_range(input, output, UInt(length))
    }

    /// The spawn flag that starts the child in a session of its own (`POSIX_SPAWN_SETSID`).
    public static var spawnInNewSession: Int16 { devenv_posix_spawn_setsid() }

    /// Makes a spawned child start in `directory` (`posix_spawn_file_actions_addchdir_np`).
    public static func spawnChangingDirectory(_ actions: inout posix_spawn_file_actions_t, to directory: String) {
        _ = devenv_posix_spawn_chdir(&actions, directory)
    }
}

/// Files a process writes about itself, named by its pid (temporary roots, a shell's stamp):
/// whether the process that wrote one still runs. A pid can be reused; the process running under
/// it now must have started before the file was last written, or it is another one.
public enum ProcessFile {
    /// True when `pid` runs and started no later than `path` was modified.
    public static func writerIsAlive(pid: Int32, path: String) -> Bool {
        guard kill(pid, 0) == 0 || errno != ESRCH else { return false }
        guard let started = startTime(of: pid),
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        else { return true }
        // Boot time has whole seconds: allow for that.
        return started.timeIntervalSince(modified) < 2
    }

    /// When `pid` started: field 22 of /proc/PID/stat (clock ticks after boot) plus the boot time.
    public static func startTime(of pid: Int32) -> Date? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.range(of: ")", options: .backwards)
        else { return nil }
        let fields = stat[afterName.upperBound...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
            let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let boot = Double(line.dropFirst("btime ".count))
        else { return nil }
        return Date(timeIntervalSince1970: boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK))))
    }
}

/// The bubblewrap command line that isolates a build: no network, a fresh /tmp, the host's
/// /usr, /bin and /lib* read-only for basic tools (unless `hostTools` is false: a hermetic build),
/// the inputs read-only at their store paths, and only the build directory and `$out` writable.
/// Everything else, the store directory included, is read-only.
public struct Sandbox {
    /// `$DEVENV_BWRAP` when set (empty: there is none), else bwrap from the usual places.
    public static func bwrap(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["DEVENV_BWRAP"] { return explicit.isEmpty ? nil : explicit }
        return ["/usr/bin/bwrap", "/bin/bwrap", "/run/current-system/sw/bin/bwrap"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Where the build directory appears inside the sandbox.
    public static let buildDirectory = "/build"

    public var storeDirectory: String
    public var inputs: [String]
    public var buildDirectory: String
    public var output: (staged: String, final: String)
    public var hostTools: Bool

    public init(
        storeDirectory: String, inputs: [String], buildDirectory: String, output: (staged: String, final: String),
        hostTools: Bool = true
    ) {
        self.storeDirectory = storeDirectory
        self.inputs = inputs
        self.buildDirectory = buildDirectory
        self.output = output
        self.hostTools = hostTools
    }

    public func arguments(environment: [String: String], command: [String]) -> [String] {
        var arguments = ["--unshare-all", "--die-with-parent", "--new-session"]
        if hostTools {
            arguments += ["--ro-bind", "/usr", "/usr"]
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

/// This running executable.
public enum CurrentExecutable {
    /// Keeps the process's memory near what it uses: glibc otherwise raises its threshold for
    /// giving large blocks pages of their own each time one is freed, and then keeps the freed
    /// buffers of every build thread (realizing python313's closure peaked at 95 MB instead of 50).
    /// Small blocks freed stay with the threads' heaps, up to 32 MiB, which raises no peak: trimmed
    /// at glibc's 128 KiB, a substitution's threads handed pages back 45 times (an madvise each,
    /// which interrupts the other cores to flush their address translations) and faulted them in
    /// again.
    public static func tuneAllocator() {
        _ = devenv_set_mmap_threshold(512 * 1024)
        _ = devenv_set_trim_threshold(32 << 20)
    }

    /// Its path, for starting it again (a background job of its own).
    public static var path: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
