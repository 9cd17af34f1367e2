import DevenvStore
import Foundation
import TestSupport
import Testing

@testable import DevenvProject

struct GenerationsTests {
    /// The next generation is numbered after the files' names, none of them read; a number is not
    /// used again, also that of a file that does not read.
    @Test func aNewGenerationIsNumberedAfterTheHighestFileName() throws {
        let dir = try TemporaryDirectory("generations")
        let store = try Store(location: StoreLocation(home: dir("home")))
        let generations = Generations(root: dir("project"), store: store)
        let environment = try StorePath(baseName: "00000000000000000000000000000000-env")
        let first = try generations.record(
            manifest: "[shell]\n", lock: "", shell: "default", environment: environment)
        #expect(first.number == 1)
        try "not a generation".write(toFile: generations.directory + "/7.json", atomically: true, encoding: .utf8)
        try "neither".write(toFile: generations.directory + "/12.txt", atomically: true, encoding: .utf8)
        let second = try generations.record(
            manifest: "[shell]\nenv = { A = \"1\" }\n", lock: "", shell: "default", environment: environment)
        #expect(second.number == 8)
        #expect(generations.currentNumber == 8)
        #expect(generations.all().map(\.number) == [1, 8])
    }

    /// Without the `current` file, the newest generation that reads is current.
    @Test func withoutCurrentTheNewestReadableGenerationIsCurrent() throws {
        let dir = try TemporaryDirectory("generations")
        let store = try Store(location: StoreLocation(home: dir("home")))
        let generations = Generations(root: dir("project"), store: store)
        let environment = try StorePath(baseName: "00000000000000000000000000000000-env")
        for value in 1...3 {
            try generations.record(
                manifest: "[shell]\nenv = { A = \"\(value)\" }\n", lock: "", shell: "default", environment: environment)
        }
        try FileManager.default.removeItem(atPath: generations.directory + "/current")
        #expect(generations.currentNumber == 3)
        try "torn".write(toFile: generations.directory + "/3.json", atomically: true, encoding: .utf8)
        #expect(generations.currentNumber == 2)
        #expect(generations.current()?.number == 2)
    }
}
