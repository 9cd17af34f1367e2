import DevenvBasics
import Foundation
import Glibc

/// Toolchains' compiled-in paths, relocated: the linker scripts that stand for libraries
/// (`libc.so` names `/lib/…/libc.so.6`), GCC's driver, which looks for the C library's headers
/// and start files under `/usr` and links programs to `/lib64`'s loader, and Python's build
/// configuration, where `ensurepip` (and so `venv`) finds pip's and setuptools' wheels. Nixpkgs
/// wraps the compiler for the same reason; here GCC's own `specs` file (read from the driver's
/// library directory) does it, so every way of starting the compiler gets it.
extension Relocation {
    /// Rewrites the absolute paths of the GNU linker script at `relative` to the store paths that
    /// have those files (a file that is no linker script stays as it is).
    func rewriteLinkerScript(_ relative: String) throws {
        let disk = output.disk + "/" + relative
        // Scripts are small; libraries (`libc.a`) can be large, and are read no further than this.
        let fd = try SystemCall.retrying("cannot open '\(disk)'") { open(disk, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = try buffer.withUnsafeMutableBytes { try SystemCall.readFully(fd, $0, "cannot read '\(disk)'") }
        close(fd)
        let data = buffer[..<count]
        guard count < buffer.count, !data.contains(0) else { return }
        let text = String(decoding: data, as: UTF8.self)
        guard text.hasPrefix("/* GNU ld script") || text.hasPrefix("GROUP") || text.hasPrefix("INPUT") else { return }
        var rewritten = ""
        var rest = Substring(text)
        // A path starts with `/` after a space or a parenthesis; a comment's `/*` is no path.
        while let slash = rest.firstIndex(of: "/") {
            let before = rest[..<slash]
            rewritten += before
            let previous = before.last ?? (rewritten.last ?? " ")
            let end = rest[slash...].firstIndex { !Relocation.isPathCharacter($0) } ?? rest.endIndex
            let path = String(rest[slash..<end])
            if previous == " " || previous == "(" || previous == "\t" || previous == "\n", path.count > 1,
                let found = locate(path)
            {
                rewritten += storePath(found)
            } else {
                rewritten += path
            }
            rest = rest[end...]
            if end == slash { rewritten.append(rest.removeFirst()) }
        }
        rewritten += rest
        guard rewritten != text else { return }
        try replaceContents(of: disk, with: Array(rewritten.utf8))
    }

    /// Points `WHEEL_PKG_DIR` of the Python build configuration at `relative`
    /// (`_sysconfigdata_*.py`) at the output's own wheel directory, made to hold every package's
    /// wheels as one root would: Debian's Python has no wheels of its own and takes them from
    /// `/usr/share/python-wheels`, where pip's and setuptools' packages (separate outputs here)
    /// put theirs, and `ensurepip` uses the directory only if it has every wheel it needs.
    func rewritePythonWheelDirectory(_ relative: String) throws {
        let disk = output.disk + "/" + relative
        guard let text = try? String(contentsOfFile: disk, encoding: .utf8),
            let match = text.firstMatch(of: /'WHEEL_PKG_DIR': '(\/[A-Za-z0-9._+\/-]*)'/)
        else { return }
        let parts = match.1.split(separator: "/").map(String.init)
        guard !parts.isEmpty, !parts.contains("."), !parts.contains("..") else { return }
        // Directories of the output itself, never through a link a package made (it could point anywhere).
        var directory = output.disk
        for part in parts {
            directory += "/" + part
            if !Relocation.exists(directory) {
                try SystemCall.retrying("cannot create '\(directory)'") { mkdir(directory, 0o755) }
            }
            guard Relocation.isDirectory(directory) else { return }
        }
        let wheelDirectory = parts.joined(separator: "/")
        for layer in dependencies {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: layer.disk + "/" + wheelDirectory)) ?? []
            for name in names.sorted() where name.hasSuffix(".whl") && !Relocation.exists(directory + "/" + name) {
                try SystemCall.retrying("cannot create the link '\(directory)/\(name)'") {
                    symlink(layer.path + "/" + wheelDirectory + "/" + name, directory + "/" + name)
                }
            }
        }
        let rewritten = text.replacingCharacters(
            in: match.1.startIndex..<match.1.endIndex, with: output.path + "/" + wheelDirectory + "/")
        try replaceContents(of: disk, with: Array(rewritten.utf8))
    }

    private static func isPathCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "/._+-".contains(character))
    }

    /// Writes a `specs` file for each GCC of the output (a `usr/lib/gcc/TRIPLET/VERSION` beside
    /// its `cc1`) that has none: the packages' C library as the system root, every other
    /// package's headers after it, the packages' assembler and linker, and programs linked to the
    /// store's loader and libraries.
    func writeCompilerSpecs(libraries: [String: String]) throws {
        // Directories of the output itself, never through a link a package made (it could point anywhere).
        var base = output.disk
        for part in ["usr", "lib", "gcc", triplet] {
            base += "/" + part
            guard Relocation.isDirectory(base) else { return }
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        for version in versions.sorted() {
            let specs = base + "/\(version)/specs"
            guard Relocation.isDirectory(base + "/" + version),
                Relocation.exists(output.disk + "/usr/libexec/gcc/\(triplet)/\(version)/cc1"),
                !Relocation.exists(specs)
            else { continue }
            try write(compilerSpecs(libraries: libraries), to: specs)
        }
    }

    /// The specs: store paths only, which hold no character that specs treat specially.
    func compilerSpecs(libraries: [String: String]) -> String {
        let headers = layers.firstIndex { Relocation.exists($0.disk + "/usr/include/stdio.h") }
        let loader = locate(loaderPath)
        let root = headers ?? loader?.layer ?? 0
        var includes: [String] = []
        for (index, layer) in layers.enumerated() where index != root {
            for directory in ["usr/include/\(triplet)", "usr/include"]
            where Relocation.exists(layer.disk + "/" + directory) {
                includes += ["-idirafter", layer.path + "/" + directory]
            }
        }
        var runpath: [String] = []
        for library in ["libc.so.6", "libgcc_s.so.1", "libstdc++.so.6"] {
            if let directory = libraries[library], !runpath.contains(directory) { runpath.append(directory) }
        }
        var link = runpath.map { "-rpath " + $0 }
        if let loader { link.insert("%{!shared:-dynamic-linker \(storePath(loader))}", at: 0) }
        // A specs file beside the driver stands in for the built-in specs, without the three that
        // GCC works out as it starts (Debian's GCC on Linux, shared libgcc): they are restated.
        var specs = "*libgcc:\n" + Relocation.libgccSpec + "\n\n"
        // The assembler and linker are found on PATH, which has only what the environment names.
        let binutils = layers.first { Relocation.exists($0.disk + "/usr/bin/ld") }
        specs += "*self_spec:\n+ %{!-sysroot=*:--sysroot=\(layers[root].path)}"
        if let binutils { specs += " -B\(binutils.path)/usr/bin/" }
        specs += "\n\n"
        if !includes.isEmpty { specs += "*cpp:\n+ " + includes.joined(separator: " ") + "\n\n" }
        specs += "*link:\n+ %{!r:--build-id} %{!static|static-pie:--eh-frame-hdr}"
        if !link.isEmpty { specs += " %{!static:%{!static-pie:" + link.joined(separator: " ") + "}}" }
        specs += "\n\n"
        return specs
    }

    static let libgccSpec =
        "%{static|static-libgcc|static-pie:-lgcc -lgcc_eh}%{!static:%{!static-libgcc:%{!static-pie:%{!shared-libgcc:-lgcc --push-state --as-needed -lgcc_s --pop-state}%{shared-libgcc:-lgcc_s%{!shared: -lgcc}}}}}"

    /// The loader's path on this system, as programs name it.
    var loaderPath: String { machine == ElfFile.x86_64 ? "/lib64/ld-linux-x86-64.so.2" : "/lib/ld-linux-aarch64.so.1" }

    /// Whether there is a file, directory or link at `path`.
    static func exists(_ path: String) -> Bool { ((try? SystemCall.lstatIfExists(path)) ?? nil) != nil }

    private func write(_ text: String, to path: String) throws {
        let out = try SystemCall.retrying("cannot create '\(path)'") {
            open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        }
        defer { close(out) }
        try Array(text.utf8).withUnsafeBytes { try SystemCall.writeAll(out, $0, "cannot write '\(path)'") }
    }
}
