import DevenvBasics
import DevenvShell
import Testing

/// The shell code devenv writes, in process: expansion of manifest values, export lines, the
/// hook's load scripts.
struct ShellCodeTests {
    @Test func valuesExpandNamesOfTheEnvironment() {
        let environment = ["HOME": "/home/me", "A_1": "x"]
        #expect(VariableExpansion.expand("$HOME/.go", in: environment) == "/home/me/.go")
        #expect(VariableExpansion.expand("${A_1}y$A_1", in: environment) == "xyx")
        #expect(VariableExpansion.expand("$$HOME $UNSET|", in: environment) == "$HOME |")
        #expect(VariableExpansion.expand("100$ ${ $1 ${}", in: environment) == "100$ ${ $1 ${}")
    }

    @Test func exportLinesQuoteValuesAndSkipNamesThatAreNotPlain() {
        let current = ["KEEP": "same", "GONE": "x", "BASH_FUNC_f%%": "() { :; }"]
        let target = ["KEEP": "same", "NEW": "it's a \"value\" $HOME", "BASH_FUNC_f%%": "() { evil; }"]
        #expect(
            ExportScript.render(from: current, to: target, dialect: .bash)
                == "export NEW='it'\\''s a \"value\" $HOME';\nunset GONE;\n")
        #expect(
            ExportScript.render(from: current, to: target, dialect: .fish)
                == "set -gx NEW 'it\\'s a \"value\" $HOME'\nset -e GONE\n")
    }

    @Test func aLoadScriptSetsDeclaredNamesAndPrefixesPath() {
        let before = ["PATH": "/usr/bin", "SAME": "1", "DROPPED": "x"]
        let after = ["PATH": "/env/bin:/usr/bin", "SAME": "1", "NEW": "y", "A B": "z"]
        var script = LoadScript(
            root: "/src/app", environmentPath: "/store/env", contentHash: "abc", before: before, after: after,
            declared: ["SAME"])
        script.aliases = [("gt", "go test")]
        let text = script.render(.bash, cache: "/cache", toolVersion: "9")
        #expect(text.hasPrefix("# devenv-cache 1 9 abc /store/env\n"))
        #expect(text.contains("__devenv_prepend_path '/env/bin'\n"))
        #expect(text.contains("__devenv_set NEW 'y'\n") && text.contains("__devenv_set SAME '1'\n"))
        #expect(text.contains("__devenv_unset DROPPED\n") && text.contains("__devenv_alias gt 'go test'\n"))
        // A name no shell takes plainly is never written into the code.
        #expect(!text.contains("A B"))
        #expect(!LoadScript.isFresh(text, toolVersion: "9", contentHash: "other"))
        #expect(!LoadScript.isFresh(text, toolVersion: "8", contentHash: "abc"))
    }

    @Test func namesReachShellCodeOnlyWhenEveryShellTakesThemPlainly() {
        for name in ["GOPATH", "_x", "a1"] { #expect(ShellSyntax.isVariable(name), "\(name)") }
        for name in ["", "1a", "A B", "A=B", "X;touch F", "status", "path", "UID", "IFS"] {
            #expect(!ShellSyntax.isVariable(name), "\(name)")
        }
        for name in ["ll", "k8s", "docker-compose", "g.s", "c++"] { #expect(ShellSyntax.isAlias(name), "\(name)") }
        for name in ["-x", ".", "a$(touch F)", "a b", ""] { #expect(!ShellSyntax.isAlias(name), "\(name)") }
    }
}
