import Foundation
import PackagePlugin

/// Embeds a top-level folder of data files (recipes, hook scripts, templates) into a target as
/// Swift source, so an installed binary needs nothing beside it.
@main
struct EmbedFiles: BuildToolPlugin {
    /// Which folder each target embeds.
    static let folders = ["DevenvPackages": "packages", "DevenvProject": "templates", "DevenvShell": "shell-hooks"]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let folder = EmbedFiles.folders[target.name] else { return [] }
        let root = context.package.directoryURL.appending(path: folder)
        var files: [URL] = []
        if let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker
            where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                files.append(url)
            }
        }
        files.sort { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(folder)/ into \(target.name)",
                executable: try context.tool(named: "embed-files").url,
                arguments: [output.path, root.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output])
        ]
    }
}
