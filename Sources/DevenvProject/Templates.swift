import Foundation

/// The `devenv init` templates, embedded from the repository's `templates/` folder: one
/// directory per template holding its `devenv.toml`, whose first comment line describes it.
public enum Templates {
    /// Template name → manifest text.
    public static let all: [String: String] = {
        var templates: [String: String] = [:]
        for (path, text) in EmbeddedFiles.files where path.hasSuffix("/devenv.toml") {
            templates[String(path.dropLast("/devenv.toml".count))] = text
        }
        return templates
    }()

    /// The first comment line of a template, without `# `.
    public static func summary(_ name: String) -> String {
        let first = all[name]?.split(separator: "\n").first { $0.hasPrefix("#") } ?? ""
        return first.drop { $0 == "#" || $0 == " " }.trimmingCharacters(in: .whitespaces)
    }

    /// Writes the template's devenv.toml into `directory` (created if needed), and `.devenv/` into
    /// its .gitignore. An existing devenv.toml is never overwritten.
    public static func instantiate(_ name: String, in directory: String) throws -> Project {
        guard let text = all[name] else {
            throw ProjectError("unknown template '\(name)' (templates: \(all.keys.sorted().joined(separator: ", ")))")
        }
        let project = Project(root: URL(fileURLWithPath: directory).standardizedFileURL.path)
        if FileManager.default.fileExists(atPath: project.manifestPath) {
            throw ProjectError("\(project.manifestPath) already exists; not overwriting it")
        }
        do {
            try FileManager.default.createDirectory(atPath: project.root, withIntermediateDirectories: true)
            // O_EXCL-like: fail rather than replace a manifest that appeared meanwhile.
            guard FileManager.default.createFile(atPath: project.manifestPath + ".new", contents: Data(text.utf8))
            else {
                throw ProjectError("cannot write \(project.manifestPath)")
            }
            guard link(project.manifestPath + ".new", project.manifestPath) == 0 else {
                try? FileManager.default.removeItem(atPath: project.manifestPath + ".new")
                throw ProjectError("\(project.manifestPath) already exists; not overwriting it")
            }
            try FileManager.default.removeItem(atPath: project.manifestPath + ".new")
            try ignoreStateDirectory(in: project.root)
        } catch let error as ProjectError {
            throw error
        } catch {
            throw ProjectError("cannot write the project files in \(project.root): \(error.localizedDescription)")
        }
        return project
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
