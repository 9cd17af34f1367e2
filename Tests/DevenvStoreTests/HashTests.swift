import DevenvStore
import Testing

/// Vectors of docs/nix-formats.md §2, all produced by nix-hash / nix hash (Nix 2.8).
struct HashTests {
    // md5/sha1/sha256/sha512 of "hello\n"
    static let vectors: [(HashAlgorithm, String, String, String)] = [
        (.md5, "b1946ac92492d2347c6235b4d2611184", "4425hx5d1mc9y39llj4k4nm55i", "md5-sZRqySSS0jR8YjW00mERhA=="),
        (
            .sha1, "f572d396fae9206628714fb2ce00f72e94f2258f", "iwjz551fyw0cxcjgf4l6c879zabd6wpm",
            "sha1-9XLTlvrpIGYocU+yzgD3LpTyJY8="
        ),
        (
            .sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
            "00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq",
            "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="
        ),
        (
            .sha512,
            "e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41edda2c2b207a36e10f8bcb8d45223e54878f5b316e7ce3b6bc019629",
            "0lrc0dwnvipqviibf7qfm1y492qvjwb1zhkcyi05cndmva1mr5gjcgrnz1x36djmk0sfg8djd2n0qv68vib2jg590mwznar9jcjphp7",
            "sha512-58IrmUxZ2c8rSOVJseJGZmNgRZMNPafBrLKZ0cO3+TH5Sq5B7dosKyB6NuEPi8uNRSI+VIePWzFufOO2vAGWKQ=="
        ),
    ]

    @Test func digestsAndEncodingsMatchNix() throws {
        for (algorithm, base16, nix32, sri) in Self.vectors {
            let hash = Hasher.hash(algorithm, Array("hello\n".utf8))
            #expect(hash.base16 == base16)
            #expect(hash.nix32 == nix32)
            #expect(hash.sri == sri)
        }
    }

    @Test func everyFormParsesToTheSameHash() throws {
        for (algorithm, base16, nix32, sri) in Self.vectors {
            let expected = Hasher.hash(algorithm, Array("hello\n".utf8))
            #expect(try Hash(parsing: base16, algorithm: algorithm) == expected)
            #expect(try Hash(parsing: base16.uppercased(), algorithm: algorithm) == expected)
            #expect(try Hash(parsing: nix32, algorithm: algorithm) == expected)
            #expect(try Hash(parsing: sri) == expected)
            #expect(try Hash(parsing: "\(algorithm.rawValue):\(nix32)") == expected)
            #expect(try Hash(parsing: "\(algorithm.rawValue):\(base16)") == expected)
            #expect(try Hash(parsing: "\(algorithm.rawValue):\(expected.base64)") == expected)
        }
    }

    @Test func nix32PutsTheFirstByteLast() throws {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[0] = 1
        #expect(Nix32.encode(bytes) == "0000000000000000000000000000000000000000000000000001")
        bytes[0] = 0
        bytes[31] = 1
        #expect(Nix32.encode(bytes) == "0080000000000000000000000000000000000000000000000000")
        #expect(
            Nix32.encode([UInt8](repeating: 0xff, count: 32)) == "1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
    }

    @Test func invalidNix32IsRejected() {
        // Unused high bits set, and a character outside the alphabet ('e').
        #expect(Nix32.decode("2zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", byteCount: 32) == nil)
        #expect(Nix32.decode("00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4ae", byteCount: 32) == nil)
        #expect(throws: StoreError.self) {
            try Hash(parsing: "sha256:2zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
        }
    }

    @Test func badHashesGiveClearErrors() {
        #expect(throws: StoreError("hash 'tooshort' has wrong length for hash type 'sha256'")) {
            try Hash(parsing: "tooshort", algorithm: .sha256)
        }
        #expect(throws: StoreError("hash 'blake9:abc' names unknown algorithm 'blake9'")) {
            try Hash(parsing: "blake9:abc")
        }
        #expect(throws: StoreError.self) {
            try Hash(parsing: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        }
        #expect(throws: StoreError.self) {
            try Hash(parsing: "sha1-9XLTlvrpIGYocU+yzgD3LpTyJY8=", algorithm: .sha256)
        }
        #expect(throws: StoreError.self) { try Hash(parsing: "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vg==") }
    }
}
