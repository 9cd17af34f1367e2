import Glibc

/// Runs programs with posix_spawn, or becomes them with execve. A child starts with every signal
/// at its default and none blocked: threads of this process may block signals, and a child must
/// not inherit that.
public enum Subprocess {
    /// Where a child's standard streams go: a descriptor of this process each, or nil to inherit.
    public struct Streams: Sendable {
        public var input: Int32?
        public var output: Int32?
        public var error: Int32?

        public init(input: Int32? = nil, output: Int32? = nil, error: Int32? = nil) {
            self.input = input
            self.output = output
            self.error = error
        }
    }

    /// Runs `executable` to completion, its output appended to `log` (stdin empty), or with this
    /// process's standard streams when `log` is nil. Returns the exit status, or 128 + the signal
    /// that ended the child.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String], log: Int32?)
        throws -> Int32
    {
        guard let log else { return try wait(start(executable, arguments, environment: environment)) }
        let empty = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(empty) }
        let streams = Streams(input: empty, output: log, error: log)
        return try wait(start(executable, arguments, environment: environment, streams: streams))
    }

    /// Starts `executable` in a session of its own, output to `log`, and does not wait: it goes on
    /// after this process (and its terminal) are gone.
    public static func startDetached(
        _ executable: String, _ arguments: [String], environment: [String: String], log: Int32
    )
        throws
    {
        let empty = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(empty) }
        _ = try start(
            executable, arguments, environment: environment, streams: Streams(input: empty, output: log, error: log),
            newSession: true)
    }

    /// Starts `executable` (a path) with `streams`, in `directory` when given, and in a session
    /// (and process group) of its own when `newSession`; returns its process id.
    public static func start(
        _ executable: String, _ arguments: [String], environment: [String: String], streams: Streams = Streams(),
        directory: String? = nil, newSession: Bool = false
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (descriptor, target) in [(streams.input, 0), (streams.output, 1), (streams.error, 2)] {
            if let descriptor { posix_spawn_file_actions_adddup2(&actions, descriptor, Int32(target)) }
        }
        if let directory { LinuxCall.spawnChangingDirectory(&actions, to: directory) }

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
            Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | (newSession ? LinuxCall.spawnInNewSession : 0))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw SystemError("cannot start \(executable): \(SystemCall.message(status))")
        }
        return pid
    }

    /// Waits for the child `pid` to end; returns its exit status, or 128 + the signal that ended it.
    public static func wait(_ pid: pid_t) throws -> Int32 {
        try reap(pid, options: 0)!
    }

    /// The exit status of the child `pid` if it has ended (as `wait` gives it), nil while it runs.
    public static func poll(_ pid: pid_t) throws -> Int32? {
        try reap(pid, options: WNOHANG)
    }

    private static func reap(_ pid: pid_t, options: Int32) throws -> Int32? {
        var waitStatus: Int32 = 0
        while true {
            let result = waitpid(pid, &waitStatus, options)
            if result == 0 { return nil }
            if result > 0 { break }
            if errno != EINTR { throw SystemError("cannot wait for process \(pid): \(SystemCall.message())") }
        }
        let signal = waitStatus & 0x7f
        return signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal
    }
}

extension Subprocess {
    /// Replaces this process with `executable` (found on `environment`'s PATH when it has no
    /// slash), as a shell's `exec` does. Returns only by throwing.
    public static func exec(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> Never
    {
        guard let path = find(executable, in: environment["PATH"] ?? "") else {
            throw SystemError("\(executable): command not found")
        }
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        execve(path, argv, envp)
        throw SystemError("cannot run \(executable): \(SystemCall.message())")
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
