import DevenvBasics
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

    /// What `instantiate` did: the files it wrote, those it found there already and kept (or
    /// could not write without following a link), and anything else to tell.
    public struct Outcome: Sendable {
        public let project: Project
        public var written: [String] = []
        public var kept: [String] = []
        public var notes: [String] = []
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
        let manifestPath = root + "/devenv.toml"
        if FileManager.default.fileExists(atPath: manifestPath) {
            throw ProjectError("\(manifestPath) already exists; not overwriting it")
        }
        do {
            // The directory the user named may be reached through links; what is inside is not.
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            // The manifest first, so that a failure leaves no half project behind it.
            for path in ["devenv.toml"] + files.keys.filter({ $0 != "devenv.toml" }).sorted() {
                let target = root + "/" + path
                if try create(target, contents: files[path]!, under: root) {
                    outcome.written.append(path)
                } else if path == "devenv.toml" {
                    throw ProjectError("\(manifestPath) already exists; not overwriting it")
                } else {
                    outcome.kept.append(path)
                }
            }
            if !(try ignoreStateDirectory(in: root)) {
                outcome.notes.append(".gitignore is not a plain file; add .devenv/ to what git ignores yourself")
            }
        } catch let error as ProjectError {
            throw error
        } catch {
            throw ProjectError("cannot write the project files in \(root): \(error)")
        }
        return outcome
    }

    /// Writes devenv.toml for the Nix project in `directory`: what devenv reads from its
    /// flake.nix, shell.nix or default.nix (the Nix file is kept; devenv.toml now comes first).
    public static func fromNix(in directory: String) throws -> Outcome {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        let nix = Project(root: root)
        guard nix.isNix else {
            if FileManager.default.fileExists(atPath: root + "/devenv.toml") {
                throw ProjectError("\(root)/devenv.toml already exists; not overwriting it")
            }
            throw ProjectError("no flake.nix, shell.nix or default.nix in \(root)")
        }
        let name = (nix.manifestPath as NSString).lastPathComponent
        let text =
            "# Written by `devenv init --from-nix` from \(name), which devenv no longer reads now.\n\n"
            + (try nix.manifest(workingDirectory: root)).tomlText
        var outcome = Outcome(project: Project(root: root, manifest: "devenv.toml"))
        do {
            guard try create(root + "/devenv.toml", contents: text, under: root) else {
                throw ProjectError("\(root)/devenv.toml already exists; not overwriting it")
            }
            outcome.written.append("devenv.toml")
            if !(try ignoreStateDirectory(in: root)) {
                outcome.notes.append(".gitignore is not a plain file; add .devenv/ to what git ignores yourself")
            }
        } catch let error as ProjectError {
            throw error
        } catch {
            throw ProjectError("cannot write \(root)/devenv.toml: \(error)")
        }
        return outcome
    }

    /// Creates `path` with `contents` unless something (a link included) is there, or one of its
    /// directories below `root` is not a plain directory (a link could lead anywhere): false then.
    private static func create(_ path: String, contents: String, under root: String) throws -> Bool {
        var directory = root
        for part in path.dropFirst(root.count + 1).split(separator: "/").dropLast() {
            directory += "/" + part
            if let info = try SystemCall.lstatIfExists(directory) {
                guard SystemCall.isDirectory(info) else { return false }
            } else {
                try SystemCall.retrying("cannot create \(directory)") { mkdir(directory, 0o755) }
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw ProjectError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        try Array(contents.utf8).withUnsafeBytes { try SystemCall.writeAll(fd, $0, "cannot write \(path)") }
        return true
    }

    /// Adds `.devenv/` to the directory's .gitignore unless a line already ignores it; false when
    /// the .gitignore is not a plain file (a link is not read or written through).
    static func ignoreStateDirectory(in directory: String) throws -> Bool {
        let path = directory + "/.gitignore"
        if let info = try SystemCall.lstatIfExists(path), !SystemCall.isRegular(info) { return false }
        let existing = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let lines = existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !lines.contains(where: { [".devenv", ".devenv/", "/.devenv", "/.devenv/"].contains($0) }) else {
            return true
        }
        let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
        try Data((existing + separator + ".devenv/\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return true
    }
}
