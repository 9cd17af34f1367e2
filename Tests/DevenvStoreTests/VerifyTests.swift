import Foundation
import TestSupport
import Testing

@testable import DevenvStore

struct VerifyTests {
    @Test func aHealthyStoreVerifies() throws {
        let fixture = try StoreFixture()
        try NixTrees.make(in: fixture.dir)
        for name in NixTrees.names { try fixture.store.add(fixture.dir(name)) }
        let result = try fixture.store.verify(checkContents: true, repair: false)
        #expect(result.problems.isEmpty)
        #expect(result.isHealthy)
    }

    @Test func aTamperedFileIsCaughtAndRepairRemovesItAndItsDependents() throws {
        let fixture = try StoreFixture()
        try NixTrees.make(in: fixture.dir)
        let narA = try fixture.store.add(fixture.dir("narA"))
        let single = try fixture.store.add(fixture.dir("single.txt"))
        let dependent = try StorePath(hashPart: String(repeating: "5", count: 32), name: "dependent")
        try fixture.dir.sh("mkdir '\(fixture.full(dependent))'")
        try fixture.store.database.register([
            PathInfo(
                path: dependent, narHash: try Nar.hash(of: fixture.full(dependent)).hash, narSize: 96,
                references: [narA])
        ])
        try fixture.dir.sh(
            "chmod u+w '\(fixture.full(narA))/hello.txt' && echo evil > '\(fixture.full(narA))/hello.txt'")

        #expect(try fixture.store.verify(checkContents: false, repair: false).isHealthy)
        let found = try fixture.store.verify(checkContents: true, repair: false)
        #expect(!found.isHealthy)
        #expect(found.problems.map(\.description).count == 1)
        #expect(
            found.problems.first?.description.hasPrefix(
                "path '\(fixture.full(narA))' was modified: expected NAR hash sha256-3+qR2bvu") == true)

        let repaired = try fixture.store.verify(checkContents: true, repair: true)
        #expect(repaired.isHealthy)
        #expect(repaired.repairs.count == 2)
        #expect(try fixture.store.validPaths() == [single])
        #expect(!FileManager.default.fileExists(atPath: fixture.full(narA)))
        #expect(!FileManager.default.fileExists(atPath: fixture.full(dependent)))
        #expect(try fixture.store.verify(checkContents: true, repair: false).problems.isEmpty)
    }

    @Test func missingUnregisteredAndForeignEntriesAreReportedByName() throws {
        let fixture = try StoreFixture()
        try NixTrees.make(in: fixture.dir)
        let narA = try fixture.store.add(fixture.dir("narA"))
        let narB = try fixture.store.add(fixture.dir("narB"))
        let single = try fixture.store.add(fixture.dir("single.txt"))
        try fixture.dir.sh("chmod u+w '\(fixture.full(narA))' && rm -rf '\(fixture.full(narA))'")
        try fixture.store.database.invalidate([narB])
        let forged = try StorePath(hashPart: String(repeating: "7", count: 32), name: "forged")
        try fixture.dir.sh("cp -r narB '\(fixture.full(forged))'; touch '\(fixture.store.directory.path)/junk'")

        let result = try fixture.store.verify(checkContents: false, repair: false)
        let messages = result.problems.map(\.description).sorted()
        #expect(
            messages
                == [
                    "'\(fixture.store.directory.path)/junk' in the store directory is not a store path",
                    "path '\(fixture.full(forged))' is on disk but not registered",
                    "path '\(fixture.full(narA))' is registered but missing on disk",
                    "path '\(fixture.full(narB))' is on disk but not registered",
                ].sorted())
        #expect(result.unresolved == 4)

        let repaired = try fixture.store.verify(checkContents: false, repair: true)
        #expect(repaired.isHealthy)
        #expect(repaired.repairs.contains("registered '\(fixture.full(narB))' again (its content matches its name)"))
        #expect(repaired.repairs.contains("removed '\(fixture.full(forged))' (its content does not prove its name)"))
        #expect(try fixture.store.validPaths().sorted() == [narB, single].sorted())
        #expect(try fixture.strayEntries() == [])
        #expect(try fixture.store.verify(checkContents: true, repair: false).problems.isEmpty)
    }
}
