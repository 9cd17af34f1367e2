import CLinux
import DevenvBasics
import DevenvProject
import Foundation
import Glibc

/// Runs a project's services: starts each once those it comes `after` are ready, probes it,
/// logs its output, restarts it by its policy, and stops them all in reverse order when asked
/// (SIGINT, SIGTERM) or when one cannot be brought up. Runs on the main thread: each service's
/// guard watches the thread that started it.
public final class Supervisor {
    /// What happened to a service, for the caller to show.
    public enum Event: Equatable, Sendable {
        case started(pid: Int32)
        case ready(seconds: Double)
        case exited(status: Int32)
        case restarting(inSeconds: Double, attempt: Int, of: Int)
        case notReady(seconds: Double)
        case stopping
        case stopped(status: Int32)
    }

    public enum Outcome: Equatable, Sendable {
        /// Everything came up, and later stopped as asked.
        case stopped
        /// A service did not come up (it exited or its probe timed out): its name and last log lines.
        case failed(service: String, reason: String, log: [String])
    }

    private enum Phase {
        case waiting
        case starting(since: Date)
        case ready
        case backoff(until: Date)
        case finished
    }

    private final class Running {
        let service: Service
        var phase: Phase = .waiting
        var process: ServiceProcess?
        /// Restarts in a row, for the backoff and `max-restarts`: reset once a run has stayed
        /// ready for the service's stable period.
        var restarts = 0
        /// Every restart by the policy, as `ps` shows them.
        var totalRestarts = 0
        var readySince = Date.distantFuture
        var pending: [UInt8] = []
        let log: ServiceLog
        var nextProbe = Date.distantPast

        init(_ service: Service, log: ServiceLog) {
            self.service = service
            self.log = log
        }
    }

    private let services: [Running]
    private let environments: [String: [String: String]]
    private let root: String
    private let stateDirectory: String
    private let output: (String, String) -> Void
    private let events: (String, Event) -> Void
    private var stopping = false
    private let statusPath: String?
    /// Each service's port, for those that have one.
    private let ports: [String: Int]
    private var status: SupervisorStatus

    /// `services` in start order (`Manifest.services`), `stateDirectory` (and the project's
    /// `.devenv`) made when missing, `environments` by shell name (each
    /// service gets its shell's, its `env`, and `DEVENV_STATE`, its state directory).
    /// `output` gets each line a service writes, `events` what happens to it; `statusPath` (when
    /// given) gets a `SupervisorStatus` at each change, and SIGUSR1 stops the services named in
    /// `stopRequestPath`.
    public init(
        services: [Service], environments: [String: [String: String]], root: String, stateDirectory: String,
        logLimit: Int = 10 << 20, statusPath: String? = nil, output: @escaping (String, String) -> Void,
        events: @escaping (String, Event) -> Void
    ) throws {
        try ProjectStateDirectory.prepare((stateDirectory as NSString).deletingLastPathComponent)
        try OwnFiles.directory(stateDirectory)
        self.services = try services.map { service in
            let directory = stateDirectory + "/" + service.name
            try OwnFiles.directory(directory)
            return Running(service, log: try ServiceLog(path: directory + "/log", limit: logLimit))
        }
        self.environments = environments
        var ports: [String: Int] = [:]
        for service in services { ports[service.name] = try service.resolvedPort(in: stateDirectory) }
        self.ports = ports
        self.root = root
        self.stateDirectory = stateDirectory
        self.output = output
        self.events = events
        self.statusPath = statusPath
        let now = Date().timeIntervalSince1970
        status = SupervisorStatus(
            pid: getpid(), started: now,
            services: services.map {
                .init(
                    name: $0.name, state: .waiting, pid: nil, port: ports[$0.name], since: now, restarts: 0,
                    exitStatus: nil, probe: $0.ready?.resolving(port: ports[$0.name]).summary)
            })
    }

    /// The file a stop request names services in (one per line), before SIGUSR1 asks for it.
    public static func stopRequestPath(in stateDirectory: String) -> String { stateDirectory + "/stop-request" }

    /// Records `state` for `running` and writes the status file (when there is one).
    private func record(_ running: Running, _ state: SupervisorStatus.Entry.State, exitStatus: Int32? = nil) {
        guard let index = status.services.firstIndex(where: { $0.name == running.service.name }) else { return }
        status.services[index].state = state
        status.services[index].since = Date().timeIntervalSince1970
        status.services[index].pid = running.process?.group
        status.services[index].restarts = running.totalRestarts
        if let exitStatus { status.services[index].exitStatus = exitStatus }
        writeStatus()
    }

    private func writeStatus() {
        guard let statusPath else { return }
        try? status.write(to: statusPath)
    }

    private func environment(of service: Service) -> [String: String] {
        var variables = environments[service.shell] ?? [:]
        variables.merge(service.env) { $1 }
        variables["DEVENV_STATE"] = stateDirectory + "/" + service.name
        if let port = ports[service.name] { variables["PORT"] = String(port) }
        return variables
    }

    /// Runs until the services are asked to stop (or all of them are, by name), or one cannot
    /// come up; stops them all.
    public func run() throws -> Outcome {
        var signalEnds: [Int32] = [0, 0]
        try SystemCall.retrying("cannot make a pipe") { devenv_pipe(&signalEnds, 1) }
        defer {
            close(signalEnds[0])
            close(signalEnds[1])
        }
        let watched = [SIGINT, SIGTERM, SIGCHLD, SIGHUP, SIGUSR1]
        guard devenv_signals_to_pipe(signalEnds[1], watched, Int32(watched.count)) == 0 else {
            throw SystemError("cannot watch signals: \(SystemCall.message())")
        }
        defer { for signal in watched { Glibc.signal(signal, SIG_DFL) } }
        writeStatus()

        var outcome = Outcome.stopped
        loop: while !stopping {
            if let failure = try startWhatMayStart() {
                outcome = failure
                break loop
            }
            let readiness = checkReadiness()
            if case .failed = readiness {
                outcome = readiness
                break loop
            }
            wait(for: signalEnds[0], timeout: nextDeadline())
            for byte in drain(signalEnds[0]) {
                if byte == UInt8(SIGUSR1) {
                    stop(only: takeStopRequest())
                } else if byte != UInt8(SIGCHLD) {
                    stopping = true
                }
            }
            if let failure = try reap() {
                outcome = failure
                break
            }
            // Everything stopped by name: nothing is left to supervise.
            if services.allSatisfy({ if case .finished = $0.phase { true } else { false } }) { break }
        }
        if case .failed(let name, let reason, _) = outcome { status.failure = "\(name): \(reason)" }
        stop(only: nil)
        return outcome
    }

    /// The names in the stop request (which is then removed).
    private func takeStopRequest() -> Set<String> {
        let path = Supervisor.stopRequestPath(in: stateDirectory)
        guard let bytes = OwnFiles.contents(of: path) else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        unlink(path)
        return Set(text.split(separator: "\n").map(String.init))
    }

    /// Starts each waiting service whose `after` are all ready, and each whose backoff is over;
    /// one whose port is taken fails `up`.
    private func startWhatMayStart() throws -> Outcome? {
        let ready = Set(services.filter { if case .ready = $0.phase { true } else { false } }.map(\.service.name))
        for running in services {
            switch running.phase {
            case .waiting where running.service.after.allSatisfy(ready.contains): break
            case .backoff(let until) where until <= Date(): break
            default: continue
            }
            if let port = ports[running.service.name], PortHolder.isTaken(port) {
                record(running, .failed)
                let holder = PortHolder.holder(of: port).map { " by \($0)" } ?? ""
                return .failed(service: running.service.name, reason: "its port \(port) is taken\(holder)", log: [])
            }
            try start(running)
        }
        return nil
    }

    private func start(_ running: Running) throws {
        let process = try ServiceProcess.start(
            running.service, environment: environment(of: running.service), directory: root)
        running.process = process
        running.phase = .starting(since: Date())
        running.nextProbe = Date()
        record(running, .starting)
        events(running.service.name, .started(pid: process.group))
    }

    /// Probes the services that are starting; one past its timeout fails `up`.
    private func checkReadiness() -> Outcome {
        for running in services {
            guard case .starting(let since) = running.phase, running.nextProbe <= Date() else { continue }
            let service = running.service
            let ready =
                service.ready.map {
                    ReadinessProbe.isReady(
                        $0.resolving(port: ports[service.name]), environment: environment(of: service), directory: root,
                        limit: min(ReadinessProbe.attemptLimit, service.readyTimeout))
                } ?? true
            let elapsed = Date().timeIntervalSince(since)
            if ready {
                running.phase = .ready
                running.readySince = Date()
                record(running, .ready)
                events(service.name, .ready(seconds: elapsed))
            } else if elapsed >= service.readyTimeout {
                record(running, .failed)
                events(service.name, .notReady(seconds: elapsed))
                return .failed(
                    service: service.name, reason: "not ready after \(Supervisor.seconds(elapsed))",
                    log: ServiceLog.lastLines(of: running.log.path, 20))
            } else {
                running.nextProbe = Date().addingTimeInterval(service.readyInterval)
            }
        }
        return .stopped
    }

    /// The soonest moment something is due: a probe or a restart (at most 100 ms away).
    private func nextDeadline() -> Double {
        var next = Date().addingTimeInterval(0.1)
        for running in services {
            switch running.phase {
            case .starting: next = min(next, running.nextProbe)
            case .backoff(let until): next = min(next, until)
            default: break
            }
        }
        return max(0, next.timeIntervalSinceNow)
    }

    /// Waits for output, a signal, or `timeout` seconds; forwards the output that came.
    private func wait(for signals: Int32, timeout: Double) {
        var descriptors = [pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
        let open = services.filter { $0.process != nil }
        descriptors += open.map { pollfd(fd: $0.process!.output, events: Int16(POLLIN), revents: 0) }
        _ = poll(&descriptors, nfds_t(descriptors.count), Int32(timeout * 1000))
        for (running, descriptor) in zip(open, descriptors.dropFirst()) where descriptor.revents != 0 {
            forward(running)
        }
    }

    /// Everything readable now from `fd`.
    private func drain(_ fd: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        return bytes
    }

    /// The service's new output, by whole lines, into its log and to `output`.
    private func forward(_ running: Running, final: Bool = false) {
        guard let process = running.process else { return }
        running.pending += drain(process.output)
        guard
            let last = running.pending.lastIndex(of: 0x0A)
                ?? (final && !running.pending.isEmpty ? running.pending.count - 1 : nil)
        else { return }
        var lines = Array(running.pending[...last])
        running.pending.removeFirst(last + 1)
        if lines.last != 0x0A { lines.append(0x0A) }
        try? running.log.append(lines)
        for line in lines.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            output(running.service.name, String(decoding: line, as: UTF8.self))
        }
    }

    /// Collects services that ended: restarts them by their policy; one that ends before it is
    /// ready and is not restarted fails `up`.
    private func reap() throws -> Outcome? {
        for running in services {
            guard let process = running.process, let status = process.exitStatus() else { continue }
            forward(running, final: true)
            close(process.output)
            running.process = nil
            let service = running.service
            // The log says why the output stops.
            try? running.log.append(Array("[devenv] exited with status \(status)\n".utf8))
            events(service.name, .exited(status: status))
            let wasReady: Bool = if case .ready = running.phase { true } else { false }
            // A run that stayed up long enough is not part of a crash loop: the count starts again.
            if wasReady, Date().timeIntervalSince(running.readySince) >= service.stablePeriod { running.restarts = 0 }
            let restarts =
                service.restart == .always || (service.restart == .onFailure && status != 0)
            if restarts && running.restarts < service.maxRestarts && !stopping {
                running.restarts += 1
                running.totalRestarts += 1
                let delay = min(service.backoff * pow(2, Double(running.restarts - 1)), Service.maximumBackoff)
                running.phase = .backoff(until: Date().addingTimeInterval(delay))
                record(running, .restarting, exitStatus: status)
                events(service.name, .restarting(inSeconds: delay, attempt: running.restarts, of: service.maxRestarts))
                continue
            }
            running.phase = .finished
            record(running, stopping || (wasReady && status == 0) ? .stopped : .failed, exitStatus: status)
            if !wasReady && !stopping {
                return .failed(
                    service: service.name, reason: "exited with status \(status) before it was ready",
                    log: ServiceLog.lastLines(of: running.log.path, 20))
            }
        }
        return nil
    }

    /// Stops the running services (those named in `only`, or all) in reverse start order: each by
    /// its stop command or signal, then SIGKILL to its group after its grace period. They are not
    /// restarted, and services waiting to start no longer start.
    private func stop(only names: Set<String>?) {
        for running in services.reversed() where names?.contains(running.service.name) ?? true {
            guard let process = running.process else {
                if case .finished = running.phase {
                } else {
                    running.phase = .finished
                    record(running, .stopped)
                }
                continue
            }
            let service = running.service
            record(running, .stopping)
            events(service.name, .stopping)
            if let command = service.stopCommand {
                _ = BoundedCommand.succeeds(
                    command, environment: environment(of: service), directory: root, limit: service.stopGrace)
            } else {
                process.signal(service.stopSignal)
            }
            let deadline = Date().addingTimeInterval(service.stopGrace)
            var status = process.exitStatus()
            while status == nil && Date() < deadline {
                var descriptor = pollfd(fd: process.output, events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, 20)
                forward(running)
                status = process.exitStatus()
            }
            if status == nil {
                process.signal(SIGKILL)
                status = (try? Subprocess.wait(process.guardian)) ?? 128 + SIGKILL
            }
            forward(running, final: true)
            close(process.output)
            running.process = nil
            running.phase = .finished
            record(running, .stopped, exitStatus: status)
            events(service.name, .stopped(status: status ?? 0))
        }
    }

    static func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }
}
