import DevenvProject
import DevenvShell
import Foundation
import TestSupport
import Testing

/// Which projects the hook may load, in process.
struct TrustVerdictTests {
    @Test func anAllowIsBoundToTheContentAndAnEditBlocksAgain() throws {
        let dir = try TemporaryDirectory("trust")
        try dir.sh("mkdir app && printf '[shell]\\npackages = []\\n' > app/devenv.toml")
        let trust = TrustStore(layout: HookLayout(home: dir("home")))
        let root = dir("app")
        #expect(trust.verdict(root: root) == .unknown)
        try trust.allow(ProjectFiles(Project(root: root)))
        #expect(trust.verdict(root: root) == .allowed)
        try dir.sh("printf '[shell]\\npackages = []\\nenv = { MODE = \"x\" }\\n' > app/devenv.toml")
        #expect(trust.verdict(root: root) == .changed)
        #expect(trust.changes(root: root) == "devenv.toml (shell.env)")
        try trust.allow(ProjectFiles(Project(root: root)))
        // What the lock learns by realizing (NAR hashes) does not block it.
        let files = ProjectFiles(
            project: Project(root: root),
            manifestBytes: try Data(contentsOf: URL(fileURLWithPath: dir("app/devenv.toml"))),
            lockBytes: nil)
        #expect(trust.verdict(root: root, hash: TrustStore.contentHash(files)) == .allowed)
        try trust.deny(root: root)
        #expect(trust.verdict(root: root) == .unknown)
    }
}
