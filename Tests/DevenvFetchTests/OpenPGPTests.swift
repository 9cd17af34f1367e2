import DevenvFetch
import Foundation
import TestSupport
import Testing

/// Clearsigned files checked as gpgv checks them: Debian's real InRelease against Debian's keys,
/// and files gpg signs here, good and bad.
struct OpenPGPTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func debianKeys() throws -> [OpenPGP.PublicKey] {
        try ["bookworm-automatic", "bookworm-stable", "trixie-automatic", "trixie-stable"].flatMap { name in
            try OpenPGP.keys(
                in: [UInt8](Data(contentsOf: repository.appendingPathComponent("packages/debian-keys/\(name).asc"))))
        }
    }

    @Test func debiansInReleaseVerifiesWithDebiansKeysRSAAndEd25519() throws {
        let keys = try Self.debianKeys()
        #expect(keys.contains { $0.fingerprint == "B8E5F13176D2A7A75220028078DBA3BC47EF2265" })
        let message = try String(
            contentsOf: Self.repository.appendingPathComponent("Tests/Fixtures/debian/trixie-InRelease"),
            encoding: .utf8)
        let now = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-12
        let verified = try OpenPGP.verifyClearsigned(message, keys: keys, now: now)
        #expect(verified.text.hasPrefix("Origin: Debian\nLabel: Debian\nSuite: stable\n"))
        // Each of its three signatures is good on its own: two RSA keys and one Ed25519 key.
        for fingerprint in [
            "4CB50190207B4758A3F73A796ED0E7B82643E131", "B8E5F13176D2A7A75220028078DBA3BC47EF2265",
            "41587F7DB8C774BCCF131416762F67A0B2C39DE4",
        ] {
            let one = try OpenPGP.verifyClearsigned(
                message, keys: keys.filter { $0.fingerprint == fingerprint }, now: now)
            #expect(one.signer.fingerprint == fingerprint)
        }
        // One changed byte of the text, and no signature is good.
        let tampered = message.replacingOccurrences(of: "Suite: stable", with: "Suite: stabl3")
        #expect(throws: FetchError.self) { try OpenPGP.verifyClearsigned(tampered, keys: keys, now: now) }
        // Keys that did not sign it are not trusted.
        let bookwormStable = keys.filter { $0.fingerprint == "4D64FEC119C2029067D6E791F8D2585B8783D481" }
        let error = #expect(throws: FetchError.self) {
            try OpenPGP.verifyClearsigned(message, keys: bookwormStable, now: now)
        }
        #expect(error?.description.contains("which is not a trusted key") == true)
    }

    /// gpg makes keys and signs: good, tampered, unknown key, expired signature, expired key, unsigned.
    @Test(arguments: ["ed25519", "rsa3072"])
    func gpgsSignaturesAreCheckedAsGpgvChecksThem(_ algorithm: String) throws {
        let dir = try TemporaryDirectory("openpgp")
        try dir.sh(
            """
            export GNUPGHOME="$PWD/gnupg"; mkdir -m 700 gnupg
            gpg -q --batch --passphrase '' --quick-gen-key 'Test Archive <t@example.org>' \(algorithm) sign 1y
            gpg -q --batch --passphrase '' --quick-gen-key 'Other <o@example.org>' \(algorithm) sign 1y
            gpg -q --batch --faked-system-time 20200101T000000 --passphrase '' --quick-gen-key 'Old <x@example.org>' \(algorithm) sign 1d
            gpg -q --batch --faked-system-time 20200101T000000 --passphrase '' --quick-gen-key 'Lasting <l@example.org>' \(algorithm) sign never
            gpg -q --export --armor 'Test Archive' > trusted.asc
            gpg -q --export 'Old' > old.gpg
            gpg -q --export 'Lasting' > lasting.gpg
            printf 'Origin: Test\\nSuite: testing   \\n- dashed line\\n\\nSHA256:\\n abc 1 main/binary-amd64/Packages.xz\\n' > Release
            gpg -q --batch --clearsign -u 'Test Archive' -o InRelease Release
            gpg -q --batch --clearsign -u 'Other' -o Other-InRelease Release
            gpg -q --batch --clearsign -u 'Lasting' --faked-system-time 20200102T000000 --default-sig-expire 1d -o Expired-InRelease Release
            gpg -q --batch --clearsign -u 'Old' --faked-system-time 20200101T000000 -o Old-InRelease Release
            """)
        let keys = try OpenPGP.keys(in: [UInt8](Data(contentsOf: URL(fileURLWithPath: dir("trusted.asc")))))
        let old = try OpenPGP.keys(in: [UInt8](Data(contentsOf: URL(fileURLWithPath: dir("old.gpg")))))
        let lasting = try OpenPGP.keys(in: [UInt8](Data(contentsOf: URL(fileURLWithPath: dir("lasting.gpg")))))
        func read(_ name: String) throws -> String { try String(contentsOfFile: dir(name), encoding: .utf8) }
        let verified = try OpenPGP.verifyClearsigned(try read("InRelease"), keys: keys)
        #expect(
            verified.text
                == "Origin: Test\nSuite: testing   \n- dashed line\n\nSHA256:\n abc 1 main/binary-amd64/Packages.xz")
        #expect(verified.signer.fingerprint == keys[0].fingerprint)
        func refused(_ message: String, _ keys: [OpenPGP.PublicKey], _ reason: String) {
            let error = #expect(throws: FetchError.self) { try OpenPGP.verifyClearsigned(message, keys: keys) }
            #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
        }
        refused(try read("InRelease").replacingOccurrences(of: "abc", with: "abd"), keys, "does not match the text")
        refused(try read("Other-InRelease"), keys, "which is not a trusted key")
        refused(try read("Expired-InRelease"), lasting, "that expired on")
        refused(try read("Old-InRelease"), old, "a key that expired on")
        refused(try read("Release"), keys, "not a clearsigned message")
    }

    @Test func malformedInputIsAnErrorNeverAPass() throws {
        let keys = try Self.debianKeys()
        let message = try String(
            contentsOf: Self.repository.appendingPathComponent("Tests/Fixtures/debian/trixie-InRelease"),
            encoding: .utf8)
        var random = SeededRandom(seed: 3)
        for _ in 0..<300 {
            var bytes = Array(message.utf8)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let at = Int.random(in: bytes.count - 3000..<bytes.count, using: &random)  // in the signature block
                bytes[at] = UInt8.random(in: 0...255, using: &random)
            }
            let mutated = String(decoding: bytes, as: UTF8.self)
            if mutated == message { continue }
            if let verified = try? OpenPGP.verifyClearsigned(mutated, keys: keys) {
                // Only a change that leaves some signature whole may still pass, with the text as signed.
                #expect(message.contains(verified.text))
            }
        }
    }
}
