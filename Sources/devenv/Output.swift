import ArgumentParser
import DevenvBasics
import DevenvProject
import Foundation

/// Writes one line to standard error, its control characters shown (`TerminalText`), after
/// `styled`, which devenv made (a color) and is written as it is.
func printError(_ line: String, after styled: String = "") {
    StandardStream.error.write(styled + TerminalText.shown(line) + "\n")
}

/// Writes `value` as JSON (sorted keys, one line) to standard output.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Human-readable sizes and durations.
enum Format {
    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func seconds(_ value: Double) -> String {
        // An estimate from what a server claims (a length of 2^63 bytes) can be anything.
        guard value < 100 * 3600 else { return value.isNaN ? "unknown" : "over 99 h" }
        return value < 10
            ? String(format: "%.1f s", value)
            : value < 120 ? "\(Int(value)) s" : "\(Int(value) / 60) min \(Int(value) % 60) s"
    }
}

/// Runs a command body, turning mistakes in devenv.toml into exit status 2 (other errors exit 1).
func withManifestErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ManifestError {
        printError("Error: \(error.description)")
        throw ExitCode(2)
    }
}
