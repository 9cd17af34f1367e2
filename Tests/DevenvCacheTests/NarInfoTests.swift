import DevenvStore
import Foundation
import TestSupport
import Testing

@testable import DevenvCache

/// Narinfos and keys as Nix 2.8 writes them: the caches `nix copy` made (Tests/Fixtures/nix).
struct NarInfoTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nix")
    static let nixStore = StoreDirectory("/nix/store")

    static func fixture(_ path: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(path), encoding: .utf8)
    }

    static func narinfos(in cache: String) throws -> [(name: String, text: String)] {
        try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent(cache).path)
            .filter { $0.hasSuffix(".narinfo") }.sorted().map { ($0, try fixture(cache + "/" + $0)) }
    }

    @Test func nixsKeysAreReadAndSignAsNixDoes() throws {
        let secret = try SigningKey(parsing: try Self.fixture("keys/sk"))
        let public_ = try TrustedKey(parsing: try Self.fixture("keys/pk"))
        #expect(secret.name == "test-cache-1" && secret.publicKey == public_)
        #expect(secret.text == (try Self.fixture("keys/sk")).trimmingCharacters(in: .newlines))
        #expect(public_.text == (try Self.fixture("keys/pk")).trimmingCharacters(in: .newlines))
        // Every signed narinfo: its signature verifies, and signing again gives the same bytes.
        var signed = 0
        for cache in ["binary-cache", "binary-cache-xz"] {
            for (name, text) in try Self.narinfos(in: cache) {
                let info = try NarInfo(parsing: text, storeDirectory: Self.nixStore, source: name)
                guard let signature = info.signatures.first else { continue }
                let fingerprint = info.fingerprint(storeDirectory: Self.nixStore)
                #expect(public_.verifies(signature, of: fingerprint), "\(cache)/\(name)")
                #expect(try secret.sign(fingerprint) == signature, "\(cache)/\(name)")
                #expect(info.isSigned(by: [public_], storeDirectory: Self.nixStore))
                signed += 1
            }
        }
        #expect(signed == 8)
    }

    @Test func narinfosAreReadAndWrittenBackByteForByte() throws {
        for cache in ["binary-cache", "binary-cache-xz"] {
            for (name, text) in try Self.narinfos(in: cache) {
                let info = try NarInfo(parsing: text, storeDirectory: Self.nixStore, source: name)
                #expect(info.text(storeDirectory: Self.nixStore) == text, "\(cache)/\(name)")
                #expect(name == info.storePath.hashPart + ".narinfo")
            }
        }
        let main = try NarInfo(
            parsing: try Self.fixture("binary-cache/d1zr5kplxg5r89v1426yx4wgg5nlqw36.narinfo"),
            storeDirectory: Self.nixStore, source: "main")
        #expect(
            main.fingerprint(storeDirectory: Self.nixStore)
                == "1;/nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main;sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a;376;/nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main,/nix/store/ikiifxrnjzkm8b336gkxxrqk1s8shnip-narA,/nix/store/rcz8aqa9lzcygdcn1q53xz03vc3svrcp-fod"
        )
        #expect(main.compression == "none" && main.fileSize == 376 && main.deriver?.name == "main.drv")
        let narA = try NarInfo(
            parsing: try Self.fixture("binary-cache/ikiifxrnjzkm8b336gkxxrqk1s8shnip.narinfo"),
            storeDirectory: Self.nixStore, source: "narA")
        #expect(narA.fingerprint(storeDirectory: Self.nixStore).hasSuffix(";1280;"))
        #expect(narA.contentAddress == "fixed:r:sha256:0pzm7s209qfvy9y4877r8x3djs60g4gkm97822jyhlpfpgcr3snz")
    }

    @Test func aKeyOfAnotherNameOrATamperedNarinfoDoesNotVerify() throws {
        let text = try Self.fixture("binary-cache/d1zr5kplxg5r89v1426yx4wgg5nlqw36.narinfo")
        let info = try NarInfo(parsing: text, storeDirectory: Self.nixStore, source: "main")
        let other = try SigningKey.generate(name: "test-cache-1")
        #expect(!info.isSigned(by: [other.publicKey], storeDirectory: Self.nixStore))
        // The same key bytes under another name: Nix matches names first.
        let renamed = try TrustedKey(
            parsing: (try Self.fixture("keys/pk")).replacingOccurrences(of: "test-cache-1:", with: "other:"))
        #expect(!info.isSigned(by: [renamed], storeDirectory: Self.nixStore))
        // A dropped reference changes what is signed (Nix: "is untrusted").
        var tampered = info
        tampered.references.removeFirst()
        let trusted = try TrustedKey(parsing: try Self.fixture("keys/pk"))
        #expect(!tampered.isSigned(by: [trusted], storeDirectory: Self.nixStore))
        // Another key's signature is added beside the first, sorted; both count.
        var twice = info
        try twice.sign(with: other, storeDirectory: Self.nixStore)
        #expect(twice.signatures.count == 2 && twice.signatures == twice.signatures.sorted())
        #expect(twice.isSigned(by: [other.publicKey], storeDirectory: Self.nixStore))
        #expect(twice.isSigned(by: [trusted], storeDirectory: Self.nixStore))
    }

    @Test(arguments: [
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: ../../etc/passwd\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\nReferences: \n",
            "URL '../../etc/passwd' leaves the cache"
        ),
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: https://evil.example/x.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\nReferences: \n",
            "leaves the cache"
        ),
        (
            "StorePath: /elsewhere/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: nar/x.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\n",
            "is not a path of /nix/store"
        ),
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: nar/x.nar\nNarHash: 1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\n",
            "is not a hash with its algorithm"
        ),
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: nar/x.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 0\n",
            "it has no NarSize"
        ),
        // No size near 2^64, which what is added to it (the limit of a download) would overflow.
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: nar/x.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 18446744073709551615\n",
            "NarSize 18446744073709551615 is larger than any file"
        ),
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: nar/x.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\nFileSize: 9223372036854775808\n",
            "FileSize 9223372036854775808 is larger than any file"
        ),
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: nar/x.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\nReferences: ../x\n",
            "reference '../x' is not a store path"
        ),
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: nar/x.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\nReferences:\nSig: k:x\n",
            "'References:' must be followed by a space"
        ),
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: nar/x.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\nCA: a\nCA: b\n",
            "'CA' appears twice"
        ),
        (
            "URL: nar/x.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\n",
            "it has no StorePath"
        ),
        // A server decodes percent escapes: `%2e%2e` would climb out of a cache under a path.
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: nar/%2e%2e/x.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\n",
            "URL 'nar/%2e%2e/x.nar' leaves the cache"
        ),
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\nURL: nar/\u{1B}[2J.nar\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\nNarSize: 1\n",
            "leaves the cache"
        ),
        // CR LF lines, which Nix refuses too: the CR is part of the value (and one line is quoted).
        (
            "StorePath: /nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\r\nURL: nar/x.nar\r\nNarHash: sha256:1wz62wg7drz88m8zpi5mbfzvlqr6xy0nclg3kibq3v8dmxjdy35a\r\nNarSize: 1\r\n",
            "StorePath '/nix/store/d1zr5kplxg5r89v1426yx4wgg5nlqw36-main\r' is not a path of /nix/store"
        ),
    ])
    func hostileNarinfosAreRefusedWithTheirReason(_ text: String, _ reason: String) {
        let error = #expect(throws: CacheError.self) {
            try NarInfo(parsing: text, storeDirectory: Self.nixStore, source: "cache/x.narinfo")
        }
        #expect(error?.description.hasPrefix("cache/x.narinfo: ") == true)
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
    }

    @Test func keysAreValidatedAndGeneratedInNixsFormat() throws {
        let key = try SigningKey.generate(name: "test-cache-1")
        // 101 and 57 bytes for this name, as nix-store --generate-binary-cache-key writes them.
        #expect(key.text.utf8.count == 101 && key.publicKey.text.utf8.count == 57)
        #expect(try SigningKey(parsing: key.text).publicKey == key.publicKey)
        for bad in ["nocolon", ":AAAA", "a b:AAAA", "k:not base64!", "k:" + Data(count: 31).base64EncodedString()] {
            #expect(throws: CacheError.self) { try TrustedKey(parsing: bad) }
        }
        // A secret key whose second half is not its own public key.
        let mismatched = "k:" + Data(Array(repeating: 1, count: 64)).base64EncodedString()
        #expect(throws: CacheError.self) { try SigningKey(parsing: mismatched) }
    }
}

/// `nix-cache-info`, as Nix writes and reads it.
struct CacheInfoTests {
    @Test func theCachesOfNixAreReadAndWrittenBack() throws {
        let text = try NarInfoTests.fixture("binary-cache/nix-cache-info")
        let info = try CacheInfo(parsing: text, source: "nix-cache-info")
        #expect(info == CacheInfo(storeDirectory: "/nix/store"))
        #expect(info.text == text)
        let full = try CacheInfo(
            parsing: "StoreDir:  /nix/store \nWantMassQuery: 1\nPriority: 40\nnonsense\nOther: x\n", source: "c")
        #expect(full == CacheInfo(storeDirectory: "/nix/store", wantMassQuery: true, priority: 40))
        #expect(full.text == "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n")
        // CR LF lines read as Nix reads them (its values are trimmed of CRs too).
        #expect(
            try CacheInfo(parsing: "StoreDir: /nix/store\r\nPriority: 10\r\n", source: "c")
                == CacheInfo(storeDirectory: "/nix/store", priority: 10))
        for bad in ["WantMassQuery: 1\n", "StoreDir: relative\n", "StoreDir: /s\nPriority: high\n"] {
            #expect(throws: CacheError.self) { try CacheInfo(parsing: bad, source: "c") }
        }
    }
}

/// Signature Version 4, against the example of AWS's documentation ("GET Object").
struct AWSSignatureTests {
    @Test func signsAsAWSDocumentsIt() throws {
        let signature = AWSSignature(
            credentials: AWSCredentials(
                accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1")
        let headers = signature.headers(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt",
            payload: AWSSignature.emptyPayload, extra: ["Range": "bytes=0-9"],
            date: Date(timeIntervalSince1970: 1_369_353_600))
        #expect(headers.contains("x-amz-date: 20130524T000000Z"))
        #expect(
            headers.last
                == "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func bucketsAreNamedAsNixNamesThem() throws {
        let local = try S3Bucket(
            url: "s3://cache?endpoint=127.0.0.1:9000&scheme=http&region=eu-west-1", environment: [:])
        #expect(local.url(of: "nix-cache-info") == "http://127.0.0.1:9000/cache/nix-cache-info")
        #expect(local.region == "eu-west-1")
        let aws = try S3Bucket(url: "s3://my-cache", environment: ["AWS_REGION": "us-west-2"])
        #expect(aws.url(of: "x.narinfo") == "https://my-cache.s3.us-west-2.amazonaws.com/x.narinfo")
        for hostile in [
            "s3://UPPER", "s3://cache/path", "s3://cache?endpoint=evil.com/../x", "s3://cache?endpoint=a@b",
            "s3://cache?unknown=1", "s3://cache?scheme=ftp", "s3://cache?region=a%0Ab", "s3://cache?endpoint=a.b%23x",
            "s3://cache?endpoint=a.b:80x", "s3://cache?endpoint=a:1:2",
        ] {
            #expect(throws: CacheError.self, "\(hostile)") { try S3Bucket(url: hostile, environment: [:]) }
        }
    }

    @Test func credentialsComeFromTheEnvironmentElseTheProfileFile() throws {
        let dir = try TemporaryDirectory()
        try
            "[default]\naws_access_key_id = A\naws_secret_access_key = S\n\n[ci]\n# comment\naws_access_key_id=B\naws_secret_access_key=T\naws_session_token = X\n"
            .write(toFile: dir("credentials"), atomically: true, encoding: .utf8)
        let file = ["AWS_SHARED_CREDENTIALS_FILE": dir("credentials")]
        #expect(
            try AWSCredentials.find(profile: nil, environment: file)
                == AWSCredentials(accessKeyID: "A", secretAccessKey: "S"))
        #expect(
            try AWSCredentials.find(profile: "ci", environment: file)
                == AWSCredentials(accessKeyID: "B", secretAccessKey: "T", sessionToken: "X"))
        #expect(
            try AWSCredentials.find(
                profile: nil,
                environment: file.merging(["AWS_ACCESS_KEY_ID": "E", "AWS_SECRET_ACCESS_KEY": "F"]) { $1 })
                == AWSCredentials(accessKeyID: "E", secretAccessKey: "F"))
        #expect(try AWSCredentials.find(profile: "none", environment: file) == nil)
    }
}
