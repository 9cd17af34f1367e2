import DevenvBasics
import Testing

struct TerminalTextTests {
    @Test func controlsAndOverridesAreShownAndTheRestIsKept() {
        #expect(TerminalText.shown("plain: ünïcode, tabs\tand\nlines") == "plain: ünïcode, tabs\tand\nlines")
        #expect(TerminalText.shown("a\u{1B}[2J\r\u{7}\u{0}") == "a\\u{1B}[2J\\u{D}\\u{7}\\u{0}")
        #expect(TerminalText.shown("\u{9B}31m \u{202E}txt.exe \u{2066}") == "\\u{9B}31m \\u{202E}txt.exe \\u{2066}")
    }
}
