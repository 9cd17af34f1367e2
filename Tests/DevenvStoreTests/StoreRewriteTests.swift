import DevenvStore
import Foundation
import TestSupport
import Testing

struct StoreRewriteTests {
    let from = StoreDirectory("/home/alice/store____")
    let to = StoreDirectory("/home/bobby/store____")
    let narA = try! StorePath(baseName: "ikiifxrnjzkm8b336gkxxrqk1s8shnip-narA")
    let narB = try! StorePath(baseName: "rcz8aqa9lzcygdcn1q53xz03vc3svrcp-narB")

    /// What the rewrite must give: every occurrence replaced, as a plain string replacement does.
    func expected(_ text: String) -> String {
        text.replacingOccurrences(of: from.path + "/", with: to.path + "/")
            .replacingOccurrences(of: narA.hashPart, with: narB.hashPart)
    }

    @Test func rewritesStoreDirectoriesAndHashPartsWhereverWindowsCutThem() throws {
        let dir = try TemporaryDirectory()
        let rewrite = try StoreRewrite(from: from, to: to, paths: [narA: narB])
        let mention = "\(from.path)/\(narA.hashPart)-narA/lib"
        let step = 1 << 20
        // Mentions around each window boundary, at every offset across it, between filler that is
        // partly of Nix's base-32 alphabet (so the scan cannot skip it) and decoys that must stay.
        for shift in [-mention.utf8.count - 1, -33, -32, -31, -1, 0, 97] {
            var text = String(repeating: "abcd0123/xyz!", count: (step + shift) / 13)
            text += String(repeating: ".", count: step + shift - text.utf8.count)
            text += mention + " \(narA.hashPart.prefix(31))-partial /home/alice/store___/not " + narA.hashPart
            text += String(repeating: "-", count: step) + "/" + mention + "\u{0}" + mention
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir("in")))
            try? FileManager.default.removeItem(atPath: dir("out"))
            let hash = try rewrite.rewrite(dir("in"), to: dir("out"))
            let out = try Data(contentsOf: URL(fileURLWithPath: dir("out")))
            #expect(out == Data(expected(text).utf8), "shift \(shift)")
            #expect(hash == Hasher.hash(.sha256, Array(out)), "shift \(shift)")
        }
    }

    @Test func storeDirectoriesOfDifferentLengthsAreRefused() {
        #expect(throws: StoreError.self) {
            try StoreRewrite(from: from, to: StoreDirectory("/short"), paths: [:])
        }
    }
}
