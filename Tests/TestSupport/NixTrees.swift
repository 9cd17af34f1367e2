import Foundation

/// The trees of docs/nix-formats.md §1, made with the same commands that produced the vectors and the
/// NAR fixtures in Tests/Fixtures/nix.
public enum NixTrees {
    public static let script = """
        mkdir -p narA/sub
        printf 'hello\\n' > narA/hello.txt
        printf '#!/bin/sh\\necho hi\\n' > narA/run.sh; chmod 755 narA/run.sh
        ln -s hello.txt narA/link
        printf 'nested\\n' > narA/sub/b.txt
        : > narA/sub/empty
        printf 'hello\\n' > single.txt
        ln -s /nix/store/foo toplink
        mkdir emptydir
        mkdir sortdir; for n in b B a a.b a-b A_ 'é' '_z' 10 9; do printf '%s' "$n" > "sortdir/$n"; done
        mkdir -p narB/d/e; printf '12345678' > narB/eight; printf 'x' > narB/one
        ln -s /nix/store/ikiifxrnjzkm8b336gkxxrqk1s8shnip-narA narB/abs
        printf '#!x\\n' > narB/d/tool; chmod 700 narB/d/tool
        printf 'x' > ex1; chmod 755 ex1
        """

    /// The names of the trees `make` creates; each has a fixture `<name>.nar`.
    public static let names = ["narA", "narB", "single.txt", "toplink", "emptydir", "sortdir", "ex1"]

    /// Creates every tree inside `directory`.
    public static func make(in directory: TemporaryDirectory) throws {
        try directory.sh(script)
    }

    /// The directory of the NAR fixtures captured from Nix 2.8.
    public static let fixtures: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/nix/nar").path
    }()
}
