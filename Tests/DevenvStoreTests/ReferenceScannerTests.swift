import DevenvStore
import TestSupport
import Testing

struct ReferenceScannerTests {
    let narA = try! StorePath(baseName: "ikiifxrnjzkm8b336gkxxrqk1s8shnip-narA")
    let fod = try! StorePath(baseName: "rcz8aqa9lzcygdcn1q53xz03vc3svrcp-fod")
    let greeting = try! StorePath(baseName: "7pd01133yha2s6wji4ab7vh7pp1905a1-greeting.txt")

    @Test func findsHashPartsInContentsNamesAndLinksOnly() throws {
        let dir = try TemporaryDirectory()
        try dir.sh(
            """
            mkdir out
            echo "uses /nix/store/\(narA.hashPart)-narA/bin/x" > out/script
            ln -s /some/\(fod.hashPart) out/link
            echo "x-\(greeting.hashPart.uppercased())-y and a partial \(greeting.hashPart.prefix(31))" > out/decoy
            """)
        let scanner = NarWriter(sink: ReferenceScanner(candidates: [narA, fod, greeting]), bufferSize: 64)
        try scanner.dump(dir("out"))
        #expect(scanner.sink.found == [narA, fod])

        try dir.sh("mkdir named; touch named/\(greeting.hashPart)")
        let byName = NarWriter(sink: ReferenceScanner(candidates: [narA, greeting]))
        try byName.dump(dir("named"))
        #expect(byName.sink.found == [greeting])
    }

    @Test func findsAHashPartCutByEveryChunkBoundary() {
        let text = Array("..../nix/store/\(narA.hashPart)-narA!!".utf8)
        for chunkSize in 1...40 {
            var scanner = ReferenceScanner(candidates: [narA, fod])
            var offset = 0
            while offset < text.count {
                let end = min(text.count, offset + chunkSize)
                text[offset..<end].withUnsafeBytes { scanner.consume($0) }
                offset = end
            }
            #expect(scanner.found == [narA], "chunk size \(chunkSize)")
        }
    }
}
