import CLinux
import DevenvStore
import Glibc

/// Runs programs with posix_spawn, or becomes them with execve. A child starts with every signal
/// at its default and none blocked: threads of this process may block signals, and a child must
/// not inherit that.
public enum Subprocess {
    /// Runs `executable` to completion, its output appended to `log` (stdin empty), or with this
    /// process's standard streams when `log` is nil. Returns the exit status, or 128 + the signal
    /// that ended the child.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String], log: Int32?)
        throws -> Int32
    {
        let pid = try spawn(executable, arguments, environment: environment, log: log, detached: false)
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 {
            if errno != EINTR { throw StoreError("cannot wait for \(executable): \(SystemCall.message())") }
        }
        let signal = waitStatus & 0x7f
        return signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal
    }

    /// Starts `executable` in a session of its own, output to `log`, and does not wait: it goes on
    /// after this process (and its terminal) are gone.
    public static func startDetached(
        _ executable: String, _ arguments: [String], environment: [String: String], log: Int32
    )
        throws
    {
        _ = try spawn(executable, arguments, environment: environment, log: log, detached: true)
    }

    private static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String], log: Int32?, detached: Bool
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let log {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, log, 1)
            posix_spawn_file_actions_adddup2(&actions, log, 2)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | (detached ? devenv_posix_spawn_setsid() : 0))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw StoreError("cannot start \(executable): \(SystemCall.message(status))")
        }
        return pid
    }
}

extension Subprocess {
    /// Replaces this process with `executable` (found on `environment`'s PATH when it has no
    /// slash), as a shell's `exec` does. Returns only by throwing.
    public static func exec(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> Never
    {
        guard let path = find(executable, in: environment["PATH"] ?? "") else {
            throw StoreError("\(executable): command not found")
        }
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        execve(path, argv, envp)
        throw StoreError("cannot run \(executable): \(SystemCall.message())")
    }

    /// The executable `name` resolves to on `searchPath` (a name with a slash is itself).
    public static func find(_ name: String, in searchPath: String) -> String? {
        if name.contains("/") { return name }
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
