import DevenvBasics
import DevenvStore

/// The scripts `writeShellScriptBin` and `writeShellApplication` made in one evaluation. A script
/// has no store path (it is a program of the shell that lists it), so its `outPath` is a marker,
/// `${packages.script:ID}`, by which a flake app that runs it finds its text.
final class NixScripts {
    private var byID: [String: (name: String, text: String)] = [:]
    private static let prefix = "script:"

    /// The marker of the script `name` with `text`.
    func marker(name: String, text: String) -> String {
        let id = name + "-" + Hasher.hash(.sha256, Array(text.utf8)).nix32.prefix(12)
        byID[id] = (name, text)
        return Manifest.referenceOpen + NixScripts.prefix + id + Manifest.referenceClose
    }

    /// The text of the script whose program `path` is (`${script}/bin/NAME`), if it is one.
    func program(at path: String) -> String? {
        for (id, script) in byID
        where path == Manifest.referenceOpen + NixScripts.prefix + id + Manifest.referenceClose + "/bin/" + script.name
        {
            return script.text
        }
        return nil
    }

    /// The script, when `reference` (a `${packages.…}` name) is a script's marker.
    func script(ofReference reference: String) -> (name: String, text: String)? {
        guard reference.hasPrefix(NixScripts.prefix) else { return nil }
        return byID[String(reference.dropFirst(NixScripts.prefix.count))]
    }
}
