import Testing

@testable import DevenvServices

/// How the holder of a taken port is named.
struct PortHolderTests {
    @Test func aLongCommandLineIsCutAfterAWholeWord() {
        let short = "python3 -m http.server 8000"
        #expect(PortHolder.shortened(short) == short)
        let long = "java " + String(repeating: "-Dsome.property=value ", count: 20)
        let cut = PortHolder.shortened(long)
        #expect(cut.count <= 202 && cut.hasSuffix("value …"), "\(cut)")
        #expect(long.hasPrefix(String(cut.dropLast(2))))
    }
}
