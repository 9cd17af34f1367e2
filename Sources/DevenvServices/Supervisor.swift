import CLinux
import DevenvBasics
import DevenvProject
import Foundation
import Glibc

/// Runs a project's services: starts each once those it comes `after` are ready, probes it,
/// logs its output, restarts it by its policy, and stops them all in reverse order when asked
/// (SIGINT, SIGTERM) or when one cannot be brought up. While it runs, requests stop services by
/// name or start more (`SupervisorRequest`). Runs on the main thread: each service's guard
/// watches the thread that started it.
public final class Supervisor {
    /// What happened to a service, for the caller to show.
    public enum Event: Equatable, Sendable {
        case started(pid: Int32)
        case ready(seconds: Double)
        case exited(status: Int32)
        case restarting(inSeconds: Double, attempt: Int, of: Int)
        /// It cannot come up, and is left failed while the others run on.
        case failed(reason: String)
        case stopping
        case stopped(status: Int32)
    }

    public enum Outcome: Equatable, Sendable {
        /// Everything came up, and later stopped as asked.
        case stopped
        /// A service did not come up (it exited or its probe timed out): its name and last log lines.
        case failed(service: String, reason: String, log: [String])
    }

    /// The services a start request names and those they come after, in start order, with the
    /// environments of their shells by name (read afresh from the project, which may have changed).
    public typealias Resolver = (_ names: [String]) throws -> (
        services: [Service], environments: [String: [String: String]]
    )

    private enum Phase {
        case waiting
        case starting(since: Date)
        case ready
        case backoff(until: Date)
        case finished
    }

    private final class Running {
        var service: Service
        /// Its shell's environment.
        var shellEnvironment: [String: String]
        var port: Int?
        var phase: Phase = .waiting
        var process: ServiceProcess?
        /// Restarts in a row, for the backoff and `max-restarts`: reset once a run has stayed
        /// ready for the service's stable period.
        var restarts = 0
        /// Every restart by the policy, as `ps` shows them.
        var totalRestarts = 0
        var readySince = Date.distantFuture
        /// Started by a request to the running supervisor: if it cannot come up, it alone fails.
        var requested = false
        /// Why it could not come up, when it could not.
        var failure: String?
        var pending: [UInt8] = []
        let log: ServiceLog
        var nextProbe = Date.distantPast

        init(_ service: Service, shellEnvironment: [String: String], port: Int?, log: ServiceLog) {
            self.service = service
            self.shellEnvironment = shellEnvironment
            self.port = port
            self.log = log
        }
    }

    /// In start order; they stop in the reverse one.
    private var services: [Running] = []
    private let root: String
    private let stateDirectory: String
    private let logLimit: Int
    private let output: (String, String) -> Void
    private let events: (String, Event) -> Void
    private let resolve: Resolver?
    private var stopping = false
    /// Set once every service of the first start has been ready: from then on, one that cannot
    /// come up (again) is left failed and the others run on.
    private var broughtUp = false
    private let statusPath: String?
    private var status: SupervisorStatus

    /// `services` in start order (`Manifest.services`), `stateDirectory` (and the project's
    /// `.devenv`) made when missing, `environments` by shell name (each service gets its shell's,
    /// its `env`, `DEVENV_STATE`, its state directory, and `PORT`). `output` gets each line a
    /// service writes, `events` what happens to it; `statusPath` (when given) gets a
    /// `SupervisorStatus` at each change. Stop requests stop the services they name; start
    /// requests start theirs as `resolve` finds them (none without it).
    public init(
        services: [Service], environments: [String: [String: String]], root: String, stateDirectory: String,
        logLimit: Int = 10 << 20, statusPath: String? = nil, resolve: Resolver? = nil,
        output: @escaping (String, String) -> Void, events: @escaping (String, Event) -> Void
    ) throws {
        try ProjectStateDirectory.prepare((stateDirectory as NSString).deletingLastPathComponent)
        try OwnFiles.directory(stateDirectory)
        self.root = root
        self.stateDirectory = stateDirectory
        self.logLimit = logLimit
        self.output = output
        self.events = events
        self.resolve = resolve
        self.statusPath = statusPath
        status = SupervisorStatus(pid: getpid(), started: Date().timeIntervalSince1970, services: [])
        for service in services {
            let running = try admitted(service, shellEnvironment: environments[service.shell] ?? [:])
            self.services.append(running)
            status.services.append(entry(of: running, .waiting))
        }
    }

    /// A service under this supervisor, waiting to start: its state directory and log made.
    private func admitted(_ service: Service, shellEnvironment: [String: String]) throws -> Running {
        let directory = stateDirectory + "/" + service.name
        try OwnFiles.directory(directory)
        return Running(
            service, shellEnvironment: shellEnvironment, port: try service.resolvedPort(in: stateDirectory),
            log: try ServiceLog(path: directory + "/log", limit: logLimit))
    }

    private func entry(of running: Running, _ state: SupervisorStatus.Entry.State, exitStatus: Int32? = nil)
        -> SupervisorStatus.Entry
    {
        .init(
            name: running.service.name, state: state, pid: running.process?.group, port: running.port,
            since: Date().timeIntervalSince1970, restarts: running.totalRestarts, exitStatus: exitStatus,
            probe: running.service.ready?.resolving(port: running.port).summary, failure: running.failure)
    }

    /// Records `state` for `running` and writes the status file (when there is one).
    private func record(_ running: Running, _ state: SupervisorStatus.Entry.State, exitStatus: Int32? = nil) {
        guard let index = status.services.firstIndex(where: { $0.name == running.service.name }) else { return }
        status.services[index] = entry(
            of: running, state, exitStatus: exitStatus ?? status.services[index].exitStatus)
        writeStatus()
    }

    private func writeStatus() {
        guard let statusPath else { return }
        try? status.write(to: statusPath)
    }

    private func environment(of running: Running) -> [String: String] {
        var variables = running.shellEnvironment
        variables.merge(running.service.env) { $1 }
        variables["DEVENV_STATE"] = stateDirectory + "/" + running.service.name
        if let port = running.port { variables["PORT"] = String(port) }
        return variables
    }

    /// Runs until the services are asked to stop (or all of them are, by name), or one cannot
    /// come up while they are brought up; stops them all.
    public func run() throws -> Outcome {
        var signalEnds: [Int32] = [0, 0]
        try SystemCall.retrying("cannot make a pipe") { devenv_pipe(&signalEnds, 1) }
        defer {
            close(signalEnds[0])
            close(signalEnds[1])
        }
        let watched = [SIGINT, SIGTERM, SIGCHLD, SIGHUP, SIGUSR1, SIGUSR2]
        guard devenv_signals_to_pipe(signalEnds[1], watched, Int32(watched.count)) == 0 else {
            throw SystemError("cannot watch signals: \(SystemCall.message())")
        }
        defer {
            // A request that comes late must not kill a supervisor on its way out.
            for signal in watched { Glibc.signal(signal, [SIGUSR1, SIGUSR2].contains(signal) ? SIG_IGN : SIG_DFL) }
        }
        writeStatus()

        var outcome = Outcome.stopped
        loop: while !stopping {
            if let failure = try startWhatMayStart() {
                outcome = failure
                break loop
            }
            if let failure = checkReadiness() {
                outcome = failure
                break loop
            }
            wait(for: signalEnds[0], timeout: nextDeadline())
            for byte in drain(signalEnds[0]) {
                switch Int32(byte) {
                case SIGCHLD: break
                case SIGUSR1: take(.stop)
                case SIGUSR2: take(.start)
                default: stopping = true
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

    /// Acts on the waiting requests of `kind`, then removes them: their services have their new
    /// states by then, which is what the processes that asked wait for.
    private func take(_ kind: SupervisorRequest) {
        let (names, files) = kind.pending(in: stateDirectory)
        switch kind {
        case .stop: stop(only: Set(names))
        case .start: admit(names)
        }
        for file in files { unlink(file) }
    }

    /// Brings the services `names` (and those they come after) under supervision: new ones are
    /// added, stopped and failed ones wait to start again, the others are left as they are.
    private func admit(_ names: [String]) {
        guard !names.isEmpty else { return }
        let resolved: (services: [Service], environments: [String: [String: String]])
        do {
            guard let resolve else { throw SystemError("this supervisor takes no start requests") }
            resolved = try resolve(names)
        } catch {
            for name in names { events(name, .failed(reason: "\(error)")) }
            return
        }
        for service in resolved.services {
            let shellEnvironment = resolved.environments[service.shell] ?? [:]
            if let running = services.first(where: { $0.service.name == service.name }) {
                guard case .finished = running.phase else { continue }
                do {
                    running.port = try service.resolvedPort(in: stateDirectory)
                } catch {
                    events(service.name, .failed(reason: "\(error)"))
                    continue
                }
                running.service = service
                running.shellEnvironment = shellEnvironment
                running.phase = .waiting
                running.restarts = 0
                running.requested = true
                running.failure = nil
                record(running, .waiting)
            } else {
                do {
                    let running = try admitted(service, shellEnvironment: shellEnvironment)
                    running.requested = true
                    services.append(running)
                    status.services.append(entry(of: running, .waiting))
                    writeStatus()
                } catch {
                    events(service.name, .failed(reason: "\(error)"))
                }
            }
        }
    }

    /// `running` cannot come up: while the first start brings the services up, that ends them
    /// all (the outcome says why); afterwards it alone is left failed.
    private func cannotComeUp(_ running: Running, _ reason: String, exitStatus: Int32? = nil) -> Outcome? {
        running.failure = reason
        let halted = halt(running)
        running.phase = .finished
        record(running, .failed, exitStatus: exitStatus ?? halted)
        guard broughtUp || running.requested else {
            return .failed(
                service: running.service.name, reason: reason, log: ServiceLog.lastLines(of: running.log.path, 20))
        }
        events(running.service.name, .failed(reason: reason))
        return nil
    }

    private func isFinished(_ name: String) -> Bool {
        guard let running = services.first(where: { $0.service.name == name }) else { return false }
        if case .finished = running.phase { return true }
        return false
    }

    /// Starts each waiting service whose `after` are all ready, and each whose backoff is over;
    /// one whose port is taken, or that waits for a service that is no longer up, cannot come up.
    private func startWhatMayStart() throws -> Outcome? {
        let ready = Set(services.filter { if case .ready = $0.phase { true } else { false } }.map(\.service.name))
        for running in services {
            switch running.phase {
            case .waiting:
                if let gone = running.service.after.first(where: isFinished) {
                    if let failure = cannotComeUp(running, "\(gone), which it comes after, is not up") {
                        return failure
                    }
                    continue
                }
                guard running.service.after.allSatisfy(ready.contains) else { continue }
            case .backoff(let until) where until <= Date(): break
            default: continue
            }
            if let port = running.port, PortHolder.isTaken(port) {
                let holder = PortHolder.holder(of: port).map { " by \($0)" } ?? ""
                if let failure = cannotComeUp(running, "its port \(port) is taken\(holder)") { return failure }
                continue
            }
            try start(running)
        }
        return nil
    }

    private func start(_ running: Running) throws {
        let process = try ServiceProcess.start(running.service, environment: environment(of: running), directory: root)
        running.process = process
        running.phase = .starting(since: Date())
        running.nextProbe = Date()
        record(running, .starting)
        events(running.service.name, .started(pid: process.group))
    }

    /// Probes the services that are starting; one past its timeout cannot come up.
    private func checkReadiness() -> Outcome? {
        for running in services {
            guard case .starting(let since) = running.phase, running.nextProbe <= Date() else { continue }
            let service = running.service
            let ready =
                service.ready.map {
                    ReadinessProbe.isReady(
                        $0.resolving(port: running.port), environment: environment(of: running), directory: root,
                        limit: min(ReadinessProbe.attemptLimit, service.readyTimeout))
                } ?? true
            let elapsed = Date().timeIntervalSince(since)
            if ready {
                running.phase = .ready
                running.readySince = Date()
                record(running, .ready)
                events(service.name, .ready(seconds: elapsed))
            } else if elapsed >= service.readyTimeout {
                if let failure = cannotComeUp(running, "not ready after \(Supervisor.seconds(elapsed))") {
                    return failure
                }
            } else {
                running.nextProbe = Date().addingTimeInterval(service.readyInterval)
            }
        }
        if !broughtUp,
            services.allSatisfy({ running in
                switch running.phase {
                case .ready, .finished: true
                default: running.requested
                }
            })
        {
            broughtUp = true
        }
        return nil
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
    /// ready and is not restarted cannot come up.
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
            if wasReady || stopping {
                running.phase = .finished
                record(running, status == 0 || stopping ? .stopped : .failed, exitStatus: status)
            } else {
                let reason = "exited with status \(status) before it was ready"
                if let failure = cannotComeUp(running, reason, exitStatus: status) {
                    return failure
                }
            }
        }
        return nil
    }

    /// Stops the running services (those named in `only`, or all) in reverse start order. They
    /// are not restarted, and services waiting to start no longer start.
    private func stop(only names: Set<String>?) {
        for running in services.reversed() where names?.contains(running.service.name) ?? true {
            if case .finished = running.phase { continue }
            let status = halt(running)
            running.phase = .finished
            record(running, .stopped, exitStatus: status)
            if let status { events(running.service.name, .stopped(status: status)) }
        }
    }

    /// Stops `running`'s process, if it has one, by its stop command or signal, then SIGKILL to
    /// its group after its grace period; its exit status.
    private func halt(_ running: Running) -> Int32? {
        guard let process = running.process else { return nil }
        let service = running.service
        record(running, .stopping)
        events(service.name, .stopping)
        if let command = service.stopCommand {
            _ = BoundedCommand.succeeds(
                command, environment: environment(of: running), directory: root, limit: service.stopGrace)
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
        return status
    }

    static func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }
}
