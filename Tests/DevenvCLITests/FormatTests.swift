import Testing

@testable import devenv

struct FormatTests {
    /// Durations as progress shows them; an estimate from what a server claims (a length of 2^63
    /// bytes at a byte a second) is no figure, not a crash.
    @Test func secondsAreShownWhateverTheirSize() {
        #expect(Format.seconds(2.84) == "2.8 s")
        #expect(Format.seconds(75) == "75 s")
        #expect(Format.seconds(3725) == "62 min 5 s")
        #expect(Format.seconds(Double(Int.max)) == "over 99 h")
        #expect(Format.seconds(.infinity) == "over 99 h")
        #expect(Format.seconds(.nan) == "unknown")
    }
}
