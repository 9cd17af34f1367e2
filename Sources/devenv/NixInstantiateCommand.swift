import ArgumentParser
import DevenvBasics
import DevenvNixLang
import Foundation

struct NixInstantiateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nix-instantiate",
        abstract: "Evaluate Nix expressions as Nix 2.8's nix-instantiate does, without Nix.",
        discussion: """
            Flags, as Nix's: --parse, --eval [--strict], --xml [--no-location], --json, -A PATH, \
            --arg NAME EXPR, --argstr NAME STRING, -I [PREFIX=]DIR, -E (the arguments are \
            expressions), - (read standard input). Without --eval, prints the .drv path of each \
            derivation (computed, not written). NIX_PATH is read as Nix reads it; store paths are \
            computed for NIX_STORE_DIR (default /nix/store).
            """
    )

    @Argument(parsing: .allUnrecognized, help: "Flags and files (or expressions with -E).")
    var arguments: [String] = []

    func validate() throws {
        do {
            _ = try NixInstantiate(arguments: arguments)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let instantiate = try NixInstantiate(arguments: arguments)
        let options = instantiate.evaluatorOptions(environment: ProcessInfo.processInfo.environment)
        try evaluatingNix {
            let evaluator = try NixEvaluator(options: options)
            // Kept to the end of the process, which follows: freeing its values one by one (a
            // million, for a large list) would only cost time, as Nix knows and does not.
            _ = Unmanaged.passRetained(evaluator)
            try instantiate.run(
                evaluator: evaluator,
                standardInput: StandardStream.readInput,
                write: StandardStream.output.write)
        }
    }
}

/// Runs Nix evaluation on a thread with room for deep recursion; its errors are printed as Nix
/// prints them (`error: FILE:LINE:COLUMN: message`, then the trace) with exit status 1.
func evaluatingNix(_ body: @escaping () throws -> Void) throws {
    do {
        try NixEvaluator.onLargeStack(body)
    } catch let error as NixSyntaxError {
        printError("error: \(error)")
        throw ExitCode(1)
    } catch let error as NixEvalError {
        printError("error: \(error)")
        throw ExitCode(1)
    }
}
