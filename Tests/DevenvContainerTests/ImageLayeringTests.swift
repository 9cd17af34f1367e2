import DevenvContainer
import DevenvStore
import Testing

@Suite struct ImageLayeringTests {
    func path(_ name: String) -> StorePath {
        let digit = Array("abcdefg").firstIndex(of: name.first!)!
        return try! StorePath(hashPart: String(repeating: "0", count: 31) + String(digit), name: name)
    }

    func info(_ name: String, _ references: [String]) -> PathInfo {
        PathInfo(
            path: path(name), narHash: Hasher.hash(.sha256, [UInt8]()), narSize: 0,
            references: references.map(path) + [path(name)])
    }

    /// nixpkgs' closure-graph.py example: A→B→C→D→F, B→E→F, C→E, A→G; popularity
    /// A 1, B 2, C 3, D 4, E 5, F 9, G 2.
    @Test func popularityAsNixpkgsCountsIt() {
        let closure = [
            info("f", []), info("e", ["f"]), info("d", ["f"]), info("c", ["d", "e"]), info("b", ["c", "e"]),
            info("g", []), info("a", ["b", "g"]),
        ]
        #expect(ImageLayering.order(closure).map(\.name) == ["f", "e", "d", "c", "b", "g", "a"])
    }

    @Test func theRestMergesIntoTheLastLayer() {
        let ordered = ["a", "b", "c", "d", "e"].map(path)
        #expect(ImageLayering.layers(ordered, count: 5).count == 5)
        #expect(ImageLayering.layers(ordered, count: 3).map { $0.map(\.name) } == [["a"], ["b"], ["c", "d", "e"]])
    }
}
