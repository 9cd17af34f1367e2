import DevenvBasics
import DevenvPackages
import Foundation
import TestSupport
import Testing

/// Package sets come from any repository: no input crashes their reader.
struct PackageSetFuzzTests {
    @Test func noSetCrashesTheReader() {
        let alphabet = [
            "[", "]", "{", "}", "[[", "]]", ".", "a.", "\"", "'", "'''", "\"\"\"", "=", "\n", ",", "#", "\\",
            "a = ", "x = [", "y = {", "\u{0}", "é", "1.5", "[a.b]\n", "true",
        ]
        let count = Int(ProcessInfo.processInfo.environment["DEVENV_FUZZ_COUNT"] ?? "") ?? 600
        let seed = UInt64(ProcessInfo.processInfo.environment["DEVENV_FUZZ_SEED"] ?? "") ?? 1
        let inputs = Fuzzing.mutations(of: PackageSetTests.tools, alphabet: alphabet, count: count, randomSeed: seed)
        var parsed = 0
        for bytes in inputs {
            guard let text = try? TOMLInputCheck.text(of: Data(bytes), file: "f.toml") else { continue }
            if (try? PackageSet(files: ["f.toml": text])) != nil { parsed += 1 }
            _ = try? TOMLDocument(file: "f.toml", text: text)
        }
        // The mutations keep some inputs valid: the reader was exercised, not only refused.
        #expect(parsed > 0)
    }
}
