/// Inputs for fuzz tests that are the same on every run: a seeded generator (SplitMix64) and
/// mutations of a valid text that keep most of its structure, so a parser goes deep into it.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public enum Fuzzing {
    /// `count` variants of `seed`: bytes flipped, removed or inserted (from `alphabet`), slices
    /// repeated, and runs of one fragment many thousand times long (deep nesting).
    public static func mutations(of seed: String, alphabet: [String], count: Int, randomSeed: UInt64 = 1) -> [[UInt8]] {
        var random = SeededRandom(seed: randomSeed)
        let base = Array(seed.utf8)
        return (0..<count).map { _ in
            var bytes = base
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<6, using: &random) {
                case 0 where !bytes.isEmpty: bytes[at] = UInt8.random(in: 0...255, using: &random)
                case 1 where !bytes.isEmpty: bytes.remove(at: at)
                case 2: bytes.insert(contentsOf: Array(alphabet.randomElement(using: &random)!.utf8), at: at)
                case 3 where !bytes.isEmpty:
                    let end = min(bytes.count, at + Int.random(in: 1...64, using: &random))
                    bytes.insert(contentsOf: bytes[at..<end], at: at)
                case 4:
                    let fragment = Array(alphabet.randomElement(using: &random)!.utf8)
                    let times = Int.random(in: 100...40_000, using: &random)
                    bytes.insert(contentsOf: (0..<times).flatMap { _ in fragment }, at: at)
                default:
                    bytes.insert(contentsOf: Array(alphabet.randomElement(using: &random)!.utf8), at: at)
                }
            }
            return bytes
        }
    }
}
