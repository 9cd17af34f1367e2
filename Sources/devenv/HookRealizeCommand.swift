import ArgumentParser
import DevenvProject
import DevenvShell
import Foundation

/// The background realization the hook starts (not for people).
struct HookRealizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hook-realize", shouldDisplay: false)

    @Argument var dialect: ExportScript.Dialect
    @Argument var root: String

    func run() throws {
        let session = try Session()
        let activation = Activation(
            store: session.store, toolVersion: Devenv.version, background: false, debian: session.debian(),
            makeRealizer: { session.realizer() })
        try activation.realizeForHook(Project(root: root), dialect: dialect, base: ProcessInfo.processInfo.environment)
    }
}
