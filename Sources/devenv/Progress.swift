import DevenvBasics
import DevenvBuild
import DevenvFetch
import Foundation
import Glibc

/// Shows fetches and builds on standard error: on a terminal a live bar per download (bytes,
/// rate, ETA) under the lines of finished work; otherwise, or with `CI=true`, one plain line per
/// file and per build.
final class ConsoleProgress: BuildProgress, @unchecked Sendable {
    private struct Transfer {
        let url: String
        let start: Date
        var received: UInt64 = 0
        var total: UInt64?
    }

    private let lock = NSLock()
    private let live: Bool
    private var transfers: [Int: Transfer] = [:]
    private var drawnLines = 0

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        live = isatty(2) == 1 && environment["CI"] != "true" && environment["TERM"] != "dumb"
    }

    func started(_ id: Int, url: String, total: UInt64?) {
        update { $0.transfers[id] = Transfer(url: url, start: Date(), total: total) }
    }

    func advanced(_ id: Int, received: UInt64, total: UInt64?) {
        guard live else { return }
        update {
            $0.transfers[id]?.received = received
            $0.transfers[id]?.total = total
        }
    }

    func finished(_ id: Int, url: String, received: UInt64, seconds: Double, error: String?) {
        update {
            $0.transfers[id] = nil
            if error == nil {
                $0.print("fetched \(url) (\(Format.bytes(received)) in \(Format.seconds(seconds)))")
            }
        }
    }

    func retrying(_ id: Int, url: String, reason: String, delay: Double) {
        update { $0.print("retrying \(url) in \(Format.seconds(delay)): \(reason)") }
    }

    func building(_ name: String, path: String, how: BuildKind) {
        let line =
            switch how {
            case .unpack: "unpacking \(name)"
            case .sandboxed: "building \(name)"
            case .unsandboxed: "building \(name) (no sandbox)"
            }
        update { $0.print(line) }
    }

    func built(_ name: String, path: String, seconds: Double) {
        update { $0.print("built \(name) in \(Format.seconds(seconds)): \(path)") }
    }

    func warning(_ message: String) {
        update { $0.print("warning: \(message)") }
    }

    func substituted(path: String, from cache: String) {
        update { $0.print("substituted \(path) from \(cache)") }
    }

    /// Changes state under the lock, then redraws the bars.
    private func update(_ change: (ConsoleProgress) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        change(self)
        if live { redraw() }
    }

    /// A line above the bars (or just a line, when not live).
    private func print(_ line: String) {
        if live { clearBars() }
        printError(line)
    }

    private func clearBars() {
        guard drawnLines > 0 else { return }
        StandardStream.error.write("\u{1B}[\(drawnLines)A\u{1B}[J")
        drawnLines = 0
    }

    private func redraw() {
        clearBars()
        var text = ""
        for (_, transfer) in transfers.sorted(by: { $0.key < $1.key }) {
            text += bar(transfer) + "\n"
        }
        drawnLines = transfers.count
        StandardStream.error.write(TerminalText.shown(text))
    }

    private func bar(_ transfer: Transfer) -> String {
        let name = String(URLSource.name(forURL: transfer.url).prefix(40))
        let elapsed = max(Date().timeIntervalSince(transfer.start), 0.001)
        let rate = Double(transfer.received) / elapsed
        guard let total = transfer.total, total > 0 else {
            return "\(name)  \(Format.bytes(transfer.received))  \(Format.bytes(UInt64(rate)))/s"
        }
        let fraction = min(1, Double(transfer.received) / Double(total))
        let width = 24
        let filled = Int(fraction * Double(width))
        let eta = rate > 0 ? Double(total - min(total, transfer.received)) / rate : 0
        return "\(name)  [\(String(repeating: "#", count: filled))\(String(repeating: "-", count: width - filled))] "
            + "\(Int(fraction * 100))%  \(Format.bytes(transfer.received))/\(Format.bytes(total))  "
            + "\(Format.bytes(UInt64(rate)))/s  ETA \(Format.seconds(eta))"
    }
}
