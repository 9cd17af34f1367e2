import Foundation
import Glibc

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
    static func startTime(of pid: Int32) -> Date? {
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
