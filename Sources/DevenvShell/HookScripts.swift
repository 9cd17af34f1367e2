import DevenvBasics
import DevenvStore
import Foundation

/// The hook scripts of `shell-hooks/`, embedded in the binary, filled in for this installation.
public enum HookScripts {
    /// The script for `dialect`, with this devenv's path, hook directory, version and cache format
    /// in it (the hook then needs no process to find them).
    public static func script(_ dialect: ExportScript.Dialect, devenv: String, layout: HookLayout, version: String)
        -> String
    {
        let template = EmbeddedFiles.files["devenv.\(dialect.rawValue)"] ?? ""
        let quote = { ExportScript.quoted($0, for: dialect) }
        // The cache format the hook accepts is the one LoadScript writes.
        return template.replacingOccurrences(of: "@CACHE_FORMAT@", with: String(LoadScript.formatVersion))
            .replacingOccurrences(of: "@VERSION@", with: quote(version))
            .replacingOccurrences(of: "@DEVENV@", with: quote(devenv))
            .replacingOccurrences(of: "@HOOKS@", with: quote(layout.directory))
    }

    /// Makes the stamp directory and removes the stamps of shells that are gone.
    public static func prepare(_ layout: HookLayout) throws {
        try FileManager.default.createDirectory(atPath: layout.stamps, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: layout.directory + "/env", withIntermediateDirectories: true)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.stamps)) ?? [] {
            let file = layout.stamps + "/" + name
            if let pid = Int32(name.prefix { $0 != "." }), !ProcessFile.writerIsAlive(pid: pid, path: file) {
                try? FileManager.default.removeItem(atPath: file)
            }
        }
    }
}
