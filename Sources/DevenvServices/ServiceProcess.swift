import CLinux
import DevenvBasics
import DevenvProject
import Glibc

/// A started service: its process group (led by the service's process) under a guard that ends
/// the group should the supervisor die, and the pipe its output comes through.
struct ServiceProcess {
    /// The guard: a child of the supervisor that exits with the service's status.
    let guardian: pid_t
    /// The service's process, leader of its group.
    let group: pid_t
    /// The read end of the service's standard output and error (non-blocking).
    let output: Int32

    /// Starts `service` with bash, in `directory`, with `environment`; stdin is /dev/null.
    static func start(_ service: Service, environment: [String: String], directory: String) throws -> ServiceProcess {
        var ends: [Int32] = [0, 0]
        try SystemCall.retrying("cannot make a pipe for \(service.name)") { devenv_pipe(&ends, 0) }
        defer { close(ends[1]) }
        let empty = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(empty) }
        let words = ["/bin/bash", "-c", service.command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] =
            environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var group: pid_t = 0
        let guardian = devenv_spawn_guarded(
            "/bin/bash", argv, envp, directory, empty, ends[1], service.stopSignal,
            Int32(min(service.stopGrace * 1000, Double(Int32.max))), &group)
        guard guardian > 0 else {
            close(ends[0])
            throw SystemError("cannot start the service \(service.name): \(SystemCall.message())")
        }
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        return ServiceProcess(guardian: guardian, group: group, output: ends[0])
    }

    /// The guard's exit status once it has ended (the service's: its code, or 128 + its signal).
    func exitStatus() -> Int32? { (try? Subprocess.poll(guardian)) ?? nil }

    /// Signals the service's whole group.
    func signal(_ signal: Int32) { kill(-group, signal) }
}
