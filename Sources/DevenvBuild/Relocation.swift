import DevenvBasics
import Foundation
import Glibc

/// Makes prebuilt programs, unpacked into an output, run from the store, as nixpkgs'
/// autoPatchelfHook and patchShebangs do for binaries made for `/`. The programs were made to see
/// one root; here it is the union of the output and its dependencies' outputs, searched in that
/// order, with `/bin`, `/sbin` and `/lib*` the same as their `/usr` twins (merged /usr), and
/// relocation points every reference into it at the store path that has it:
/// - an ELF program gets the loader of that root as its interpreter; every ELF file a run path of
///   the directories where its `DT_NEEDED` libraries are (found through its own run path first,
///   then the standard library directories), `$ORIGIN` entries kept. A library found nowhere
///   fails the build naming file and library: the loader would take the host's instead.
/// - a link is pointed at the store path of what it names; one into the host's state (`/etc`,
///   `/var`, `/run`, ...) stays; one to a file that no package here has is removed.
/// - an executable script's `#!` names the store's interpreter (`/usr/bin/env NAME` too), when
///   one of the packages has it. A Perl script also gets the packages' module directories first
///   in `@INC` (Perl's own list is compiled in and names the host's `/usr`).
/// - a linker script's paths, GCC's search paths and Python's wheel directory point into the
///   store (`Relocation+Toolchain.swift`).
struct Relocation {
    /// A tree the programs were made to see at `/`.
    struct Layer {
        /// Where its files are now.
        let disk: String
        /// Where it is in the store: what rewritten references name.
        let path: String
    }

    let output: Layer
    let dependencies: [Layer]
    let machine: UInt16
    let triplet: String
    var layers: [Layer] { [output] + dependencies }

    /// Directories where the loader finds libraries without a run path (Debian's multiarch one first).
    var standardDirectories: [String] {
        ["usr/lib/\(triplet)", "lib/\(triplet)", "usr/lib64", "lib64", "usr/lib", "lib"]
    }

    /// Where a link may point outside the packages: the host's state, not its programs.
    static let hostState = ["/etc/", "/var/", "/run/", "/tmp/", "/proc/", "/dev/", "/sys/", "/home/"]
    static let mergedDirectories: Set<String> = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]

    init(system: String, output: Layer, dependencies: [Layer]) throws {
        switch system {
        case "x86_64-linux": (machine, triplet) = (ElfFile.x86_64, "x86_64-linux-gnu")
        case "aarch64-linux": (machine, triplet) = (ElfFile.aarch64, "aarch64-linux-gnu")
        default: throw BuildError("programs for \(system) cannot be relocated (only x86_64-linux and aarch64-linux)")
        }
        self.output = output
        self.dependencies = dependencies
    }

    /// Relocates every file of the output; the problems that make it unusable are one error.
    func apply() throws {
        var problems: [String] = []
        let libraries = libraryIndex()
        let perlDirectories = perlModuleDirectories
        for (relative, st) in try entries() {
            let disk = output.disk + "/" + relative
            if SystemCall.isSymlink(st) {
                try relink(relative)
            } else if SystemCall.isRegular(st) {
                if let elf = try ElfFile.read(disk) {
                    if elf.machine == machine, elf.isDynamic {
                        problems += try patch(elf, at: relative, libraries: libraries)
                    }
                } else if SystemCall.isExecutable(st) {
                    try rewriteInterpreterLine(of: relative, perlDirectories: perlDirectories)
                } else if relative.hasSuffix(".so") || relative.hasSuffix(".a") {
                    try rewriteLinkerScript(relative)
                } else if relative.hasPrefix("usr/lib/python3"),
                    let name = relative.split(separator: "/").last,
                    name.hasPrefix("_sysconfigdata_"), name.hasSuffix(".py")
                {
                    try rewritePythonWheelDirectory(relative)
                }
            }
        }
        try writeCompilerSpecs(libraries: libraries)
        guard problems.isEmpty else {
            let more = problems.count > 5 ? " (and \(problems.count - 5) more)" : ""
            throw BuildError(problems.prefix(5).joined(separator: "; ") + more)
        }
    }

    /// Every file and link of the output (relative paths) with its status, without recursion.
    private func entries() throws -> [(String, stat)] {
        var found: [(String, stat)] = []
        var pending: [(relative: String, depth: Int)] = [("", 0)]
        while let (directory, depth) = pending.popLast() {
            let disk = directory.isEmpty ? output.disk : output.disk + "/" + directory
            try FileTree.checkDepth(depth, at: disk)
            let names = try FileManager.default.contentsOfDirectory(atPath: disk).sorted()
            for name in names {
                let relative = directory.isEmpty ? name : directory + "/" + name
                let st = try SystemCall.lstat(output.disk + "/" + relative)
                if SystemCall.isDirectory(st) {
                    pending.append((relative, depth + 1))
                } else {
                    found.append((relative, st))
                }
            }
        }
        return found
    }

    /// Library file name → the store directory that has it, from the standard directories of
    /// each layer (the first layer that has a name wins).
    private func libraryIndex() -> [String: String] {
        var index: [String: String] = [:]
        for layer in layers {
            for directory in standardDirectories {
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: layer.disk + "/" + directory)
                else { continue }
                for name in names where index[name] == nil { index[name] = layer.path + "/" + directory }
            }
        }
        return index
    }

    /// Where `path` (absolute, as the programs see it) is: the layer and the path inside it. Links
    /// are followed (at most 40, as the kernel does), the last one only when `followLast`;
    /// `dependenciesOnly` leaves the output out.
    func locate(_ path: String, followLast: Bool = true, dependenciesOnly: Bool = false)
        -> (layer: Int, relative: String)?
    {
        var pending = ArraySlice(rootPath(of: path).split(separator: "/").map(String.init).reversed())
        var current: [String] = []
        var layerOfCurrent = 0
        var links = 0
        while let part = pending.popLast() {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                _ = current.popLast()
                continue
            }
            var candidates = [current + [part]]
            if let twin = Relocation.mergedTwin(of: current + [part]) { candidates.append(twin) }
            var hit: (layer: Int, components: [String], st: stat)?
            search: for (index, layer) in layers.enumerated() where index > 0 || !dependenciesOnly {
                for candidate in candidates {
                    if let st = try? SystemCall.lstatIfExists(layer.disk + "/" + candidate.joined(separator: "/")) {
                        hit = (index, candidate, st)
                        break search
                    }
                }
            }
            guard let hit else { return nil }
            let isLast = pending.isEmpty
            if SystemCall.isSymlink(hit.st), followLast || !isLast {
                links += 1
                guard links <= 40,
                    let target = try? FileManager.default.destinationOfSymbolicLink(
                        atPath: layers[hit.layer].disk + "/" + hit.components.joined(separator: "/"))
                else { return nil }
                if target.hasPrefix("/") { current = [] } else { current = Array(hit.components.dropLast()) }
                pending += rootPath(of: target).split(separator: "/").map(String.init).reversed()
                continue
            }
            current = hit.components
            layerOfCurrent = hit.layer
        }
        guard !current.isEmpty else { return nil }
        return (layerOfCurrent, current.joined(separator: "/"))
    }

    /// The same path on the other side of merged /usr (`lib/x` ↔ `usr/lib/x`), if it has one:
    /// one package may have a file under `/lib` and another the directory above it under `/usr/lib`.
    static func mergedTwin(of components: [String]) -> [String]? {
        if let first = components.first, mergedDirectories.contains(first) { return ["usr"] + components }
        if components.count >= 2, components[0] == "usr", mergedDirectories.contains(components[1]) {
            return Array(components.dropFirst())
        }
        return nil
    }

    /// A link's target as the programs see it: one already pointed at a layer's store path (by
    /// this relocation, or an earlier one of a dependency) names that layer's file at `/`.
    private func rootPath(of target: String) -> String {
        for layer in layers where target.hasPrefix(layer.path + "/") {
            return String(target.dropFirst(layer.path.count))
        }
        return target
    }

    func storePath(_ location: (layer: Int, relative: String)) -> String {
        layers[location.layer].path + "/" + location.relative
    }

    /// Gives an ELF file the store's loader and a run path to its libraries; the problems found.
    private func patch(_ elf: ElfFile, at relative: String, libraries: [String: String]) throws -> [String] {
        var problems: [String] = []
        var interpreter: String?
        if let current = elf.interpreter {
            if let loader = locate(current) {
                interpreter = storePath(loader)
            } else {
                problems.append("\(relative) needs the loader \(current), which no package of its closure has")
            }
        }
        let origin = "/" + (relative.split(separator: "/").dropLast().joined(separator: "/"))
        let kept = (elf.runpath ?? []).filter { $0.hasPrefix("$ORIGIN") || $0.hasPrefix("${ORIGIN}") }
        var runpath = kept
        for name in elf.needed {
            // The loader is loaded before anything else: nothing needs to find it.
            if let current = elf.interpreter, name == current.split(separator: "/").last.map(String.init) { continue }
            var directory: String?
            for entry in elf.runpath ?? [] {
                let base = entry.replacingOccurrences(of: "${ORIGIN}", with: origin)
                    .replacingOccurrences(of: "$ORIGIN", with: origin)
                guard base.hasPrefix("/"), let found = locate(base + "/" + name, followLast: false) else { continue }
                if kept.contains(entry), found.layer == 0 {
                    directory = ""
                } else {
                    directory = storePath(found).split(separator: "/", omittingEmptySubsequences: false).dropLast()
                        .joined(separator: "/")
                }
                break
            }
            if directory == nil { directory = libraries[name] }
            guard let directory else {
                problems.append("\(relative) needs \(name), which no package of its closure has")
                continue
            }
            if !directory.isEmpty, !runpath.contains(directory) { runpath.append(directory) }
        }
        guard problems.isEmpty else { return problems }
        let newRunpath = runpath.isEmpty && elf.runpath == nil ? nil : runpath.joined(separator: ":")
        try withWritable(output.disk + "/" + relative) {
            try elf.rewrite(interpreter: interpreter, runpath: newRunpath)
        }
        return []
    }

    /// Points the link at `relative` at the store path of what it names.
    private func relink(_ relative: String) throws {
        let disk = output.disk + "/" + relative
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: disk)
        let directory = "/" + relative.split(separator: "/").dropLast().joined(separator: "/")
        let absolute = target.hasPrefix("/") ? target : directory + "/" + target
        // A relative link that stays inside the output and finds its target there is fine as it is.
        let staysInside = !target.hasPrefix("/") && Relocation.climbs(target, from: relative) == false
        var found = locate(absolute, followLast: false)
        // A link named like its target (a recipe's `usr/bin/rustc` → `/usr/bin/rustc`) is for the
        // dependency's file of that name.
        if let own = found, own.layer == 0, own.relative == relative {
            found = locate(absolute, followLast: false, dependenciesOnly: true)
        }
        if let found {
            if found.layer == 0, staysInside { return }
            try replaceLink(disk, with: storePath(found))
        } else if staysInside || Relocation.hostState.contains(where: { (absolute + "/").hasPrefix($0) }) {
            return
        } else {
            try SystemCall.retrying("cannot remove '\(disk)'") { unlink(disk) }
        }
    }

    /// Whether the relative link `target` of the link at `relative` climbs above the tree's root.
    static func climbs(_ target: String, from relative: String) -> Bool {
        var depth = relative.split(separator: "/").count - 1
        for part in target.split(separator: "/") {
            if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
            if depth < 0 { return true }
        }
        return false
    }

    private func replaceLink(_ disk: String, with target: String) throws {
        try SystemCall.retrying("cannot remove '\(disk)'") { unlink(disk) }
        try SystemCall.retrying("cannot create the link '\(disk)'") { symlink(target, disk) }
    }

    /// Rewrites the `#!` line of the executable at `relative` to name the store's interpreter.
    private func rewriteInterpreterLine(of relative: String, perlDirectories: [String]) throws {
        let disk = output.disk + "/" + relative
        let fd = try SystemCall.retrying("cannot open '\(disk)'") { open(disk, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        var head = [UInt8](repeating: 0, count: 256)
        let count = try head.withUnsafeMutableBytes { try SystemCall.readFully(fd, $0, "cannot read '\(disk)'") }
        close(fd)
        guard count > 2, head[0] == UInt8(ascii: "#"), head[1] == UInt8(ascii: "!"),
            let end = head[..<count].firstIndex(of: UInt8(ascii: "\n"))
        else { return }
        let line = String(decoding: head[2..<end], as: UTF8.self)
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let interpreter = words.first, interpreter.hasPrefix("/") else { return }
        var replacement: String?
        if interpreter.hasSuffix("/env"), words.count >= 2, !words[1].hasPrefix("-"), !words[1].contains("=") {
            if let found = locate("/usr/bin/" + words[1], followLast: false) {
                replacement = storePath(found)
                words.removeFirst()
            }
        } else if let found = locate(interpreter, followLast: false) {
            replacement = storePath(found)
        }
        guard let replacement else { return }
        words[0] = replacement
        var contents = try Data(contentsOf: URL(fileURLWithPath: disk))
        var rewritten = words.joined(separator: " ")
        let program = replacement.split(separator: "/").last ?? ""
        if program == "perl" || program.hasPrefix("perl5"), !perlDirectories.isEmpty {
            // On the line after `#!`, so that perl still reads its switches from the first line.
            rewritten += "\nBEGIN { unshift @INC, " + perlDirectories.map { "'\($0)'" }.joined(separator: ", ") + " }"
        }
        contents.replaceSubrange(2..<end, with: Array(rewritten.utf8))
        try replaceContents(of: disk, with: Array(contents))
    }

    /// Writes `bytes` over the file at `disk` (a file of the output, not a link).
    func replaceContents(of disk: String, with bytes: [UInt8]) throws {
        try withWritable(disk) {
            let out = try SystemCall.retrying("cannot write '\(disk)'") {
                open(disk, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
            }
            defer { close(out) }
            try bytes.withUnsafeBytes { try SystemCall.writeAll(out, $0, "cannot write '\(disk)'") }
        }
    }

    /// The directories of Perl modules in the packages, in the order of Debian's `@INC` (each
    /// kind over the layers, the output first); store paths, which hold no quote.
    private var perlModuleDirectories: [String] {
        let kinds: [(parent: String, versioned: Bool)] = [
            ("usr/lib/\(triplet)/perl5", true), ("usr/share/perl5", false), ("usr/lib/\(triplet)/perl-base", false),
            ("usr/lib/\(triplet)/perl", true), ("usr/share/perl", true),
        ]
        return kinds.flatMap { kind in
            layers.flatMap { layer -> [String] in
                let disk = layer.disk + "/" + kind.parent
                guard kind.versioned else {
                    return Relocation.isDirectory(disk) ? [layer.path + "/" + kind.parent] : []
                }
                // Version directories (`5.36`), not the links beside them (`5.36.0`); only digits and
                // dots, since the names go into Perl code.
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: disk)) ?? []).sorted()
                return names.filter { name in
                    name.first?.isNumber == true
                        && name.utf8.allSatisfy { $0 == UInt8(ascii: ".") || (0x30...0x39).contains($0) }
                        && Relocation.isDirectory(disk + "/" + name)
                }
                .map { layer.path + "/" + kind.parent + "/" + $0 }
            }
        }
    }

    /// Whether `path` is a directory, not a link to one.
    static func isDirectory(_ path: String) -> Bool {
        ((try? SystemCall.lstatIfExists(path)) ?? nil).map(SystemCall.isDirectory) ?? false
    }

    /// Runs `body` with the file at `path` writable by its owner, its mode restored afterwards.
    func withWritable(_ path: String, _ body: () throws -> Void) throws {
        let st = try SystemCall.lstat(path)
        if st.st_mode & S_IWUSR == 0 {
            try SystemCall.retrying("cannot make '\(path)' writable") { chmod(path, st.st_mode | S_IWUSR) }
        }
        defer { if st.st_mode & S_IWUSR == 0 { chmod(path, st.st_mode & 0o7777) } }
        try body()
    }
}
