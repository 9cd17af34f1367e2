import ArgumentParser
import DevenvBasics
import DevenvShell
import DevenvStore

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Print the shell hook that loads projects on cd (put it in your shell's rc file).",
        discussion: """
            bash: eval "$(devenv hook bash)" at the end of ~/.bashrc; zsh: eval "$(devenv hook zsh)" at the \
            end of ~/.zshrc; fish: devenv hook fish | source in ~/.config/fish/config.fish. A prompt where \
            nothing changed starts no process; only allowed projects load (devenv allow).
            """
    )

    @Argument(help: "bash, zsh or fish.")
    var shell: ExportScript.Dialect

    func run() throws {
        let layout = HookLayout(home: StoreLocation.fromEnvironment().home)
        try HookScripts.prepare(layout)
        print(
            HookScripts.script(shell, devenv: CurrentExecutable.path, layout: layout, version: Devenv.version),
            terminator: ""
        )
    }
}
