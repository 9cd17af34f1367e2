import Foundation
import Testing

@testable import DevenvProject

/// flake.lock read and written again is the file Nix 2.8 wrote, byte for byte: node keys,
/// follows paths, `flake = false`, key order and indentation.
struct FlakeLockTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nix/flake-locks").path

    @Test(arguments: ["top", "top2", "top3"])
    func aLockNixWroteIsWrittenAgainAsItWas(_ name: String) throws {
        let text = try String(contentsOfFile: "\(FlakeLockTests.fixtures)/\(name).flake.lock", encoding: .utf8)
        let lock = try FlakeLock(text: text, file: "flake.lock")
        #expect(lock.text == text)
    }

    @Test func followsLeadToTheirNodes() throws {
        let text = try String(contentsOfFile: "\(FlakeLockTests.fixtures)/top2.flake.lock", encoding: .utf8)
        let lock = try FlakeLock(text: text, file: "flake.lock")
        // dg2's dp follows the root's dp; raw_2 is the root's raw.
        #expect(lock.node(at: ["dg2", "dp"]) === lock.node(at: ["dp"]))
        #expect(lock.node(at: ["dg2", "dp"])?.locked["type"] == .string("path"))
        #expect(lock.node(at: ["raw"])?.isFlake == false)
        #expect(lock.node(at: ["nope"]) == nil)
    }
}
