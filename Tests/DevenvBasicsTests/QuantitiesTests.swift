import DevenvBasics
import Testing

struct QuantitiesTests {
    /// Sizes as `gc --max-freed` takes them; what no count of bytes is, is no size (not a crash).
    @Test func sizesAreBytesOrNothing() {
        #expect(Quantities.size("1024") == 1024)
        #expect(Quantities.size("150K") == 150 << 10)
        #expect(Quantities.size("1.5G") == 3 << 29)
        #expect(Quantities.size("2t") == 2 << 40)
        for nothing in ["1e30G", "infG", "nanM", "-1K", "12Q", ""] {
            #expect(Quantities.size(nothing) == nil, "\(nothing)")
        }
    }
}
