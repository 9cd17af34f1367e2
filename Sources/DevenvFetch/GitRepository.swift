import CGit2
import DevenvBasics
import DevenvStore
import Foundation
import Glibc

/// A commit found in a repository: its id (40 hex digits), committer time and tree.
struct GitCommit {
    let id: String
    let time: Int64
    let tree: OpaquePointer
}

/// A bare cache repository driven through libgit2.
final class GitRepository {
    private var repository: OpaquePointer?
    private var owned: [OpaquePointer] = []

    init(bareAt path: String) throws {
        if git_repository_open_bare(&repository, path) < 0 {
            try GitRepository.check(git_repository_init(&repository, path, 1), "cannot create the git cache '\(path)'")
        }
    }

    deinit {
        for object in owned { git_object_free(object) }
        git_repository_free(repository)
    }

    static func check(_ status: Int32, _ what: @autoclosure () -> String) throws {
        guard status < 0 else { return }
        let detail = git_error_last().map { String(cString: $0.pointee.message) } ?? "error \(status)"
        throw FetchError("\(what()): \(detail)")
    }

    /// Brings the wanted commit into the cache (unless it is there already) and returns it, with
    /// the branch the repository's HEAD names, if it says.
    func fetchCommit(_ source: GitSource) throws -> (commit: GitCommit, headBranch: String?) {
        if let rev = source.rev {
            guard rev.count == 40, rev.allSatisfy(\.isHexDigit) else {
                throw FetchError("git rev '\(rev)' is not a full 40-digit commit id")
            }
            let commit: GitCommit
            if let cached = try? lookup(rev.lowercased()) {
                commit = cached
            } else {
                try fetch(from: source.url, refspecs: [rev.lowercased()])
                guard let fetched = try? lookup(rev.lowercased()) else {
                    throw FetchError("\(source.url) has no commit \(rev)")
                }
                commit = fetched
            }
            return (commit, try? resolve(nil, at: source.url).branch)
        }
        let (name, id, branch) = try resolve(source.ref, at: source.url)
        try fetch(from: source.url, refspecs: ["+\(name):refs/devenv/\(name)"])
        return (try lookup(id), branch)
    }

    /// How many commits `commit` has in its history, itself included (a lock's `revCount`).
    func revisionCount(of commit: GitCommit) throws -> Int {
        var walk: OpaquePointer?
        try GitRepository.check(git_revwalk_new(&walk, repository), "cannot walk the history of \(commit.id)")
        defer { git_revwalk_free(walk) }
        var oid = git_oid()
        try GitRepository.check(git_oid_fromstr(&oid, commit.id), "'\(commit.id)' is not a git object id")
        try GitRepository.check(git_revwalk_push(walk, &oid), "cannot walk the history of \(commit.id)")
        var count = 0
        while git_revwalk_next(&oid, walk) == 0 { count += 1 }
        return count
    }

    /// The full name and target of `ref` (a branch, tag or full ref name; nil for HEAD) on the
    /// remote, and for HEAD the branch it points to.
    private func resolve(_ ref: String?, at url: String) throws -> (name: String, id: String, branch: String?) {
        var remote: OpaquePointer?
        try GitRepository.check(git_remote_create_anonymous(&remote, repository, url), "cannot use git remote '\(url)'")
        defer { git_remote_free(remote) }
        try GitRepository.check(
            git_remote_connect(remote, GIT_DIRECTION_FETCH, nil, nil, nil), "cannot connect to '\(url)'")
        defer { git_remote_disconnect(remote) }
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        try GitRepository.check(git_remote_ls(&heads, &count, remote), "cannot list the refs of '\(url)'")
        var byName: [String: String] = [:]
        var branch: String?
        for index in 0..<count {
            guard let head = heads?[index]?.pointee else { continue }
            var oid = head.oid
            let name = String(cString: head.name)
            byName[name] = GitRepository.hex(&oid)
            if name == "HEAD", let target = head.symref_target {
                branch = String(String(cString: target).trimmingPrefix("refs/heads/"))
            }
        }
        let wanted = ref.map { [$0, "refs/heads/\($0)", "refs/tags/\($0)"] } ?? ["HEAD"]
        for name in wanted {
            if let id = byName[name] { return (name, id, branch) }
        }
        throw FetchError("\(url) has no ref '\(ref ?? "HEAD")'")
    }

    private func fetch(from url: String, refspecs: [String]) throws {
        var remote: OpaquePointer?
        try GitRepository.check(git_remote_create_anonymous(&remote, repository, url), "cannot use git remote '\(url)'")
        defer { git_remote_free(remote) }
        var options = git_fetch_options()
        try GitRepository.check(
            git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "cannot set up a git fetch")
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        var pointers = refspecs.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        try pointers.withUnsafeMutableBufferPointer { buffer in
            var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            try GitRepository.check(git_remote_fetch(remote, &array, &options, nil), "cannot fetch from '\(url)'")
        }
    }

    /// The commit that `id` names (peeling annotated tags).
    private func lookup(_ id: String) throws -> GitCommit {
        var oid = git_oid()
        try GitRepository.check(git_oid_fromstr(&oid, id), "'\(id)' is not a git object id")
        var object: OpaquePointer?
        try GitRepository.check(git_object_lookup(&object, repository, &oid, GIT_OBJECT_ANY), "no object \(id)")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try GitRepository.check(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), "\(id) is not a commit")
        owned.append(commit!)
        var tree: OpaquePointer?
        try GitRepository.check(git_commit_tree(&tree, commit), "cannot read the tree of \(id)")
        owned.append(tree!)
        var commitID = git_commit_id(commit).pointee
        return GitCommit(id: GitRepository.hex(&commitID), time: Int64(git_commit_time(commit)), tree: tree!)
    }

    static func hex(_ oid: inout git_oid) -> String {
        var buffer = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buffer, 41, &oid)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Writes the commit's tree (no `.git`) as files, directories and symlinks at `destination`;
    /// submodules become empty directories, as in `git archive`.
    func export(_ commit: GitCommit, to destination: String) throws {
        try SystemCall.retrying("cannot create '\(destination)'") { mkdir(destination, 0o755) }
        let fd = try SystemCall.retrying("cannot open '\(destination)'") {
            open(destination, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { close(fd) }
        try export(tree: commit.tree, into: fd, display: commit.id, depth: 0)
    }

    private func export(tree: OpaquePointer, into directory: Int32, display: String, depth: Int) throws {
        try FileTree.checkDepth(depth, at: display)
        for index in 0..<git_tree_entrycount(tree) {
            let entry = git_tree_entry_byindex(tree, index)
            let name = Array(
                UnsafeRawBufferPointer(start: git_tree_entry_name(entry), count: strlen(git_tree_entry_name(entry))))
            let path = display + "/" + name.displayString
            switch git_tree_entry_filemode(entry) {
            case GIT_FILEMODE_TREE:
                var subtree: OpaquePointer?
                try GitRepository.check(
                    git_tree_lookup(&subtree, repository, git_tree_entry_id(entry)), "cannot read \(path)")
                defer { git_tree_free(subtree) }
                try SystemCall.retrying("cannot create '\(path)'") {
                    name.withCString { mkdirat(directory, $0, 0o755) }
                }
                let child = try SystemCall.retrying("cannot open '\(path)'") {
                    name.withCString { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                }
                defer { close(child) }
                try export(tree: subtree!, into: child, display: path, depth: depth + 1)
            case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                let contents = try blob(entry, path)
                defer { git_blob_free(contents.blob) }
                let mode: mode_t = git_tree_entry_filemode(entry) == GIT_FILEMODE_BLOB_EXECUTABLE ? 0o755 : 0o644
                let fd = try SystemCall.retrying("cannot create '\(path)'") {
                    name.withCString {
                        openat(directory, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
                    }
                }
                defer { close(fd) }
                try SystemCall.writeAll(fd, contents.bytes, "cannot write '\(path)'")
            case GIT_FILEMODE_LINK:
                let contents = try blob(entry, path)
                defer { git_blob_free(contents.blob) }
                let target = Array(contents.bytes)
                try SystemCall.retrying("cannot create symlink '\(path)'") {
                    target.withCString { t in name.withCString { symlinkat(t, directory, $0) } }
                }
            case GIT_FILEMODE_COMMIT:
                try SystemCall.retrying("cannot create '\(path)'") {
                    name.withCString { mkdirat(directory, $0, 0o755) }
                }
            default:
                throw FetchError("\(path) has an unknown git file mode")
            }
        }
    }

    private func blob(_ entry: OpaquePointer?, _ path: String) throws -> (
        blob: OpaquePointer?, bytes: UnsafeRawBufferPointer
    ) {
        var blob: OpaquePointer?
        try GitRepository.check(git_blob_lookup(&blob, repository, git_tree_entry_id(entry)), "cannot read \(path)")
        return (blob, UnsafeRawBufferPointer(start: git_blob_rawcontent(blob), count: Int(git_blob_rawsize(blob))))
    }
}
