import Glibc

/// A POSIX extended regular expression, as `builtins.match` and `builtins.split` take them (Nix
/// uses `std::regex::extended`); the C library's matcher is leftmost-longest, as POSIX wants.
final class NixRegex {
    private var compiled = regex_t()
    let groups: Int

    init(_ pattern: String, at position: NixPosition?) throws {
        let status = regcomp(&compiled, pattern, REG_EXTENDED)
        guard status == 0 else {
            var buffer = [CChar](repeating: 0, count: 256)
            regerror(status, &compiled, &buffer, buffer.count)
            let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw NixEvalError("invalid regular expression '\(pattern)': \(reason)", at: position)
        }
        groups = Int(compiled.re_nsub)
    }

    deinit { regfree(&compiled) }

    /// The subject of `firstMatch`: its bytes and a NUL, made once for all the searches in it.
    static func subject(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }

    /// Byte ranges of the match and of each group (`nil`: the group took no part), searching
    /// `subject` (see `subject(_:)`) from `start`; `nil` when nothing matches.
    func firstMatch(in subject: [CChar], from start: Int) -> [Range<Int>?]? {
        var matches = [regmatch_t](repeating: regmatch_t(), count: groups + 1)
        // REG_STARTEND lets the search begin inside the string with `^` still meaning its start.
        matches[0].rm_so = regoff_t(start)
        matches[0].rm_eo = regoff_t(subject.count - 1)
        let status = regexec(&compiled, subject, matches.count, &matches, REG_STARTEND)
        guard status == 0 else { return nil }
        return matches.map { $0.rm_so < 0 ? nil : Int($0.rm_so)..<Int($0.rm_eo) }
    }
}
