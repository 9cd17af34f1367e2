import DevenvBasics
import Foundation
import Glibc

/// The daily collection that config.toml's `[gc] automatic = true` asks for: a background
/// `devenv gc --automatic`, at most once a day (`gc.last` marks the day), logged to `logs/gc.log`.
public struct AutomaticCollection: Sendable {
    public let home: String

    public init(home: String) { self.home = home }

    var marker: String { home + "/gc.last" }

    /// Starts it unless one started less than a day ago.
    public func startIfDue() {
        if let attributes = try? FileManager.default.attributesOfItem(atPath: marker),
            let date = attributes[.modificationDate] as? Date, Date().timeIntervalSince(date) < 86_400
        {
            return
        }
        guard FileManager.default.createFile(atPath: marker, contents: nil) else { return }
        try? FileManager.default.createDirectory(atPath: home + "/logs", withIntermediateDirectories: true)
        let log = open(home + "/logs/gc.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { return }
        defer { close(log) }
        try? Subprocess.startDetached(
            CurrentExecutable.path, ["gc", "--automatic"], environment: ProcessInfo.processInfo.environment, log: log)
    }

    /// The collection it starts (`devenv gc --automatic`): generations older than `keep` go
    /// (none when nil); it waits up to 10 s for other devenv processes (the command that started
    /// it may still hold the store for a moment: develop, run and shell start it just before they
    /// exec) and else gives up, leaving the day open so that the next command tries again.
    public func collect(with collector: GarbageCollector, keep: Double?) throws -> GarbageCollector.Report {
        var options = GarbageCollector.Options()
        options.waitAtMost = 10
        options.olderThan = keep
        let report = try collector.run(options)
        if !report.ran { try? FileManager.default.removeItem(atPath: marker) }
        return report
    }
}
