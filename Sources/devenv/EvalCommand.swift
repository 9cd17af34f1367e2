import ArgumentParser
import DevenvBasics
import DevenvNixLang
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a Nix expression (or file) completely and print its value."
    )

    @Argument(help: "The expression.")
    var expression: String?

    @Option(name: .long, help: "Evaluate this file instead (a directory means its default.nix).")
    var file: String?

    @Option(name: .customShort("A"), help: "Print only this attribute path of the value (a.b.0).")
    var attr: String?

    func validate() throws {
        guard (expression == nil) != (file == nil) else {
            throw ValidationError("give an expression or --file, not both or neither")
        }
    }

    func run() throws {
        var instantiate = NixInstantiate()
        instantiate.evalOnly = true
        instantiate.strict = true
        instantiate.attrPaths = attr.map { [$0] } ?? []
        if let expression {
            instantiate.fromArguments = true
            instantiate.files = [expression]
        } else {
            instantiate.files = [file!]
        }
        let options = instantiate.evaluatorOptions(environment: ProcessInfo.processInfo.environment)
        try evaluatingNix {
            try instantiate.run(
                evaluator: try NixEvaluator(options: options), standardInput: { [] },
                write: StandardStream.output.write)
        }
    }
}
