import DevenvContainer
import Foundation
import TestSupport
import Testing

/// `inspect` reads layouts it did not write: what a hostile one holds is an error, never a path.
@Suite struct OCILayoutTests {
    static let hostile: [(String, String)] = [
        (#"{"manifests":[{"digest":"sha256:../../../../etc/passwd"}]}"#, "without a sha256 digest"),
        (#"{"manifests":[]}"#, "names no image"),
        ("not json", "is not an OCI image layout's JSON file"),
        (String(repeating: "[", count: 100_000), "is not an OCI image layout's JSON file"),
        (
            #"{"manifests":[{"digest":"sha256:\#(String(repeating: "a", count: 64))"}]}"#,
            "is not an OCI image layout's JSON file"
        ),
    ]

    @Test(arguments: hostile.indices)
    func aHostileLayoutIsAnError(_ index: Int) throws {
        let dir = try TemporaryDirectory("layout")
        try dir.sh("mkdir -p blobs/sha256")
        try Self.hostile[index].0.write(toFile: dir("index.json"), atomically: true, encoding: .utf8)
        let error = #expect(throws: ContainerError.self) { try OCILayout.read(dir.path) }
        #expect(error?.description.contains(Self.hostile[index].1) == true, "\(error?.description ?? "")")
    }
}
