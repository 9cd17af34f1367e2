import DevenvStore
import Foundation
import Glibc

/// The `devenv init` templates, embedded from the repository's `templates/` folder: one directory
/// per template, a small working project (as `nix flake init -t` templates are) whose
/// `devenv.toml` starts with a comment line describing it.
public enum Templates {
    /// Template name → its files (path relative to the project → text).
    public static let all: [String: [String: String]] = {
        var templates: [String: [String: String]] = [:]
        for (path, text) in EmbeddedFiles.files {
            guard let slash = path.firstIndex(of: "/") else { continue }
            templates[String(path[..<slash]), default: [:]][String(path[path.index(after: slash)...])] = text
        }
        return templates.filter { $0.value["devenv.toml"] != nil }
    }()

    /// The first comment line of a template, without `# `.
    public static func summary(_ name: String) -> String {
        let first = all[name]?["devenv.toml"]?.split(separator: "\n").first { $0.hasPrefix("#") } ?? ""
        return first.drop { $0 == "#" || $0 == " " }.trimmingCharacters(in: .whitespaces)
    }

    /// What `instantiate` did: the files it wrote and those it found there already and kept.
    public struct Outcome: Sendable {
        public let project: Project
        public var written: [String] = []
        public var kept: [String] = []
    }

    /// Writes the template's files into `directory` (created if needed), and `.devenv/` into its
    /// .gitignore. No existing file is ever overwritten: an existing devenv.toml is an error, any
    /// other file that exists is kept as it is.
    public static func instantiate(_ name: String, in directory: String) throws -> Outcome {
        guard let files = all[name] else {
            throw ProjectError("unknown template '\(name)' (templates: \(all.keys.sorted().joined(separator: ", ")))")
        }
        var outcome = Outcome(project: Project(root: URL(fileURLWithPath: directory).standardizedFileURL.path))
        let root = outcome.project.root
        if FileManager.default.fileExists(atPath: outcome.project.manifestPath) {
            throw ProjectError("\(outcome.project.manifestPath) already exists; not overwriting it")
        }
        do {
            // The manifest first, so that a failure leaves no half project behind it.
            for path in ["devenv.toml"] + files.keys.filter({ $0 != "devenv.toml" }).sorted() {
                let target = root + "/" + path
                try FileManager.default.createDirectory(
                    atPath: URL(fileURLWithPath: target).deletingLastPathComponent().path,
                    withIntermediateDirectories: true)
                if try create(target, contents: files[path]!) {
                    outcome.written.append(path)
                } else if path == "devenv.toml" {
                    throw ProjectError("\(outcome.project.manifestPath) already exists; not overwriting it")
                } else {
                    outcome.kept.append(path)
                }
            }
            try ignoreStateDirectory(in: root)
        } catch let error as ProjectError {
            throw error
        } catch {
            throw ProjectError("cannot write the project files in \(root): \(error)")
        }
        return outcome
    }

    /// Creates `path` with `contents` unless something (a link included) is there: false then.
    private static func create(_ path: String, contents: String) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw ProjectError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        try Array(contents.utf8).withUnsafeBytes { try SystemCall.writeAll(fd, $0, "cannot write \(path)") }
        return true
    }

    /// Adds `.devenv/` to the directory's .gitignore unless a line already ignores it.
    static func ignoreStateDirectory(in directory: String) throws {
        let path = directory + "/.gitignore"
        let existing = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let lines = existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !lines.contains(where: { [".devenv", ".devenv/", "/.devenv", "/.devenv/"].contains($0) }) else { return }
        let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
        try Data((existing + separator + ".devenv/\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
