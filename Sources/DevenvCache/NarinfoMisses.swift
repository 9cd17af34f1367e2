import DevenvBasics
import DevenvStore
import Foundation
import Glibc

/// The narinfos an HTTP cache did not have, remembered for `lifetime` seconds (an hour, as Nix's
/// `narinfo-cache-negative-ttl`), so that realizing a project whose paths a cache lacks does not
/// ask it again on every command. One empty file per miss, under the directory given (in
/// `$DEVENV_HOME`), named by the cache and the path; local caches are not remembered.
public struct NarinfoMisses: Sendable {
    let directory: String
    let lifetime: Double

    public init(directory: String, lifetime: Double = 3600) {
        self.directory = directory
        self.lifetime = lifetime
    }

    private func file(_ path: StorePath, in cache: BinaryCache) -> String {
        directory + "/" + Hasher.hash(.sha256, Array(cache.url.utf8)).nix32.prefix(16) + "-" + path.hashPart
    }

    func recentlyMissed(_ path: StorePath, in cache: BinaryCache) -> Bool {
        guard !cache.isLocal, let info = try? SystemCall.lstatIfExists(file(path, in: cache)) else { return false }
        return Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) < lifetime
    }

    func record(_ path: StorePath, in cache: BinaryCache) {
        guard !cache.isLocal else { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fd = open(file(path, in: cache), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        futimens(fd, nil)
        close(fd)
    }
}
