import Foundation
import TestSupport
import Testing

@testable import DevenvServices

/// A service's log never holds more than twice its limit, and its last lines survive a rotation.
struct ServiceLogTests {
    @Test func theLogIsRotatedAtItsLimitKeepingOneOlder() throws {
        let dir = try TemporaryDirectory("service-log")
        let log = try ServiceLog(path: dir("log"), limit: 100)
        for index in 1...40 { try log.append(Array("line \(index)\n".utf8)) }
        let current = try Data(contentsOf: URL(fileURLWithPath: dir("log")))
        let older = try Data(contentsOf: URL(fileURLWithPath: dir("log.1")))
        #expect(current.count <= 100 && older.count <= 100)
        #expect(!FileManager.default.fileExists(atPath: dir("log.2")))
        #expect(ServiceLog.lastLines(of: dir("log"), 3) == ["line 38", "line 39", "line 40"])
        // Fewer lines in the log than asked: the older one gives the rest, in order.
        let lines = ServiceLog.lastLines(of: dir("log"), 15)
        #expect(lines.count == 15 && lines.last == "line 40" && lines.first == "line 26")
    }

    @Test func aLogThatIsALinkIsNotWrittenThrough() throws {
        let dir = try TemporaryDirectory("service-log")
        try dir.sh("touch target && ln -s target log")
        #expect(throws: (any Error).self) { try ServiceLog(path: dir("log")) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir("target"))).isEmpty)
    }
}
