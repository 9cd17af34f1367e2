import ArgumentParser
import DevenvStore

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Work with the content-addressed store directly.",
        discussion: """
            The store is $DEVENV_STORE_DIR, or $DEVENV_HOME/store___… (padded to 96 bytes); $DEVENV_HOME defaults to \
            $XDG_DATA_HOME/devenv, that is ~/.local/share/devenv.
            """,
        subcommands: [
            StoreAddCommand.self, StoreDumpCommand.self, StoreRestoreCommand.self, StoreHashCommand.self,
            StorePathInfoCommand.self, StoreLsCommand.self,
            StoreVerifyCommand.self, StoreAddRootCommand.self, StoreRemoveRootCommand.self, StoreWhyDependsCommand.self,
        ]
    )
}
