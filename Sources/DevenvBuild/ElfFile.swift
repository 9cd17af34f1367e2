import DevenvBasics
import Glibc

/// An ELF file as dynamic linking sees it: its machine, its interpreter (`PT_INTERP`), the
/// libraries it needs (`DT_NEEDED`), where it says to find them (`DT_RUNPATH`, or the older
/// `DT_RPATH`) and its own name (`DT_SONAME`). Only the headers and tables that matter are read,
/// never the whole file, and every offset in them is checked against the file: an ELF file is
/// data from a package. 64-bit little-endian files only (x86_64, aarch64): `read` gives nil for
/// anything else, which relocation leaves alone.
public struct ElfFile {
    public static let x86_64: UInt16 = 62
    public static let aarch64: UInt16 = 183

    public let path: String
    public let machine: UInt16
    public let interpreter: String?
    public let needed: [String]
    /// `DT_RUNPATH`, else `DT_RPATH`, split at `:`; nil when it has neither.
    public let runpath: [String]?
    public let soname: String?
    /// Whether it is dynamically linked (has `PT_DYNAMIC`).
    public var isDynamic: Bool { programHeaders.contains { $0.type == ProgramHeader.dynamic } }

    struct ProgramHeader: Equatable {
        static let size = 56
        static let null: UInt32 = 0
        static let load: UInt32 = 1
        static let dynamic: UInt32 = 2
        static let interp: UInt32 = 3
        static let note: UInt32 = 4

        var type: UInt32
        var flags: UInt32
        var offset: UInt64
        var address: UInt64
        var physicalAddress: UInt64
        var fileSize: UInt64
        var memorySize: UInt64
        var alignment: UInt64

        var encoded: [UInt8] {
            var bytes = [UInt8](le: type) + [UInt8](le: flags)
            for field in [offset, address, physicalAddress, fileSize, memorySize, alignment] {
                bytes += [UInt8](le: field)
            }
            return bytes
        }
    }

    enum Tag {
        static let null: Int64 = 0
        static let needed: Int64 = 1
        static let stringTable: Int64 = 5
        static let stringTableSize: Int64 = 10
        static let soname: Int64 = 14
        static let rpath: Int64 = 15
        static let runpath: Int64 = 29
    }

    let fileSize: UInt64
    let programHeaderOffset: UInt64
    let programHeaders: [ProgramHeader]
    let sectionHeaderOffset: UInt64
    let sectionCount: Int
    /// Every slot of the dynamic section, trailing `DT_NULL`s included.
    let dynamic: [(tag: Int64, value: UInt64)]
    /// Where the dynamic string table is (file offset, address) and its bytes.
    let strings: (offset: UInt64, address: UInt64, bytes: [UInt8])?

    /// Sizes beyond which a file is refused rather than read (no real file comes near them).
    static let maximumDynamicEntries = 1 << 16
    static let maximumStringTable = 1 << 28

    /// The ELF file at `path`, or nil when it is not a 64-bit little-endian ELF file.
    public static func read(_ path: String) throws -> ElfFile? {
        let fd = try SystemCall.retrying("cannot open '\(path)'") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        return try ElfFile(fd: fd, path: path)
    }

    init?(fd: Int32, path: String) throws {
        self.path = path
        var st = stat()
        try SystemCall.retrying("cannot read '\(path)'") { fstat(fd, &st) }
        fileSize = UInt64(st.st_size)
        let reader = ElfReader(fd: fd, path: path, size: fileSize)
        guard fileSize >= 64 else { return nil }
        let header = try reader.bytes(at: 0, count: 64)
        // \x7fELF, ELFCLASS64, ELFDATA2LSB, EV_CURRENT
        guard header[0..<7] == [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1] else { return nil }
        machine = header.u16(18)
        programHeaderOffset = header.u64(32)
        sectionHeaderOffset = header.u64(40)
        let programHeaderSize = Int(header.u16(54))
        let programHeaderCount = Int(header.u16(56))
        let sectionHeaderSize = Int(header.u16(58))
        sectionCount = sectionHeaderSize == 64 ? Int(header.u16(60)) : 0
        guard programHeaderSize == ProgramHeader.size || programHeaderCount == 0 else {
            throw reader.malformed("program headers of \(programHeaderSize) bytes")
        }
        let table = try reader.bytes(at: programHeaderOffset, count: programHeaderCount * ProgramHeader.size)
        programHeaders = (0..<programHeaderCount).map { index in
            let base = index * ProgramHeader.size
            return ProgramHeader(
                type: table.u32(base), flags: table.u32(base + 4), offset: table.u64(base + 8),
                address: table.u64(base + 16), physicalAddress: table.u64(base + 24), fileSize: table.u64(base + 32),
                memorySize: table.u64(base + 40), alignment: table.u64(base + 48))
        }
        // Offsets, addresses and sizes a process could have (x86-64 and AArch64 use 48 to 52 bits),
        // so that the ends and page-rounded addresses computed from them cannot overflow.
        let limit: UInt64 = 1 << 56
        guard
            programHeaders.allSatisfy({ [$0.offset, $0.address, $0.fileSize, $0.memorySize].allSatisfy { $0 < limit } })
        else { throw reader.malformed("a segment beyond any address space") }

        if let interp = programHeaders.first(where: { $0.type == ProgramHeader.interp }) {
            guard interp.fileSize <= 4096 else { throw reader.malformed("an interpreter of \(interp.fileSize) bytes") }
            let bytes = try reader.bytes(at: interp.offset, count: Int(interp.fileSize))
            interpreter = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        } else {
            interpreter = nil
        }

        guard let segment = programHeaders.first(where: { $0.type == ProgramHeader.dynamic }) else {
            (dynamic, strings, needed, runpath, soname) = ([], nil, [], nil, nil)
            return
        }
        let count = Int(min(segment.fileSize / 16, UInt64(ElfFile.maximumDynamicEntries) + 1))
        guard count <= ElfFile.maximumDynamicEntries else { throw reader.malformed("too many dynamic entries") }
        let entries = try reader.bytes(at: segment.offset, count: count * 16)
        dynamic = (0..<count).map { (Int64(bitPattern: entries.u64($0 * 16)), entries.u64($0 * 16 + 8)) }
        let live = dynamic.prefix { $0.tag != Tag.null }
        func value(_ tag: Int64) -> UInt64? { live.first { $0.tag == tag }?.value }

        guard let address = value(Tag.stringTable), let size = value(Tag.stringTableSize) else {
            guard live.allSatisfy({ ![Tag.needed, Tag.soname, Tag.rpath, Tag.runpath].contains($0.tag) }) else {
                throw reader.malformed("dynamic names without a string table")
            }
            (strings, needed, runpath, soname) = (nil, [], nil, nil)
            return
        }
        guard size <= UInt64(ElfFile.maximumStringTable) else {
            throw reader.malformed("a string table of \(size) bytes")
        }
        guard
            let load = programHeaders.first(where: {
                $0.type == ProgramHeader.load && address >= $0.address && address - $0.address < $0.fileSize
            })
        else { throw reader.malformed("a string table outside its segments") }
        let offset = address - load.address + load.offset
        let bytes = try reader.bytes(at: offset, count: Int(size))
        strings = (offset, address, bytes)
        func string(_ at: UInt64) throws -> String {
            guard at < size else { throw reader.malformed("a name outside its string table") }
            return String(decoding: bytes[Int(at)...].prefix { $0 != 0 }, as: UTF8.self)
        }
        needed = try live.filter { $0.tag == Tag.needed }.map { try string($0.value) }
        soname = try value(Tag.soname).map(string)
        runpath = try (value(Tag.runpath) ?? value(Tag.rpath)).map {
            try string($0).split(separator: ":").map(String.init)
        }
    }

    /// Gives the file `interpreter` (when it has one to replace) and `runpath` (as
    /// `DT_RUNPATH`, replacing a `DT_RPATH`), in place. What no longer fits where it was (a longer
    /// interpreter, the string table with the new run path, a dynamic section one entry larger)
    /// moves into a new loadable segment at the end of the file, whose program header takes the
    /// place of a `PT_NOTE` (or `PT_NULL`), as patchelf does it; section headers follow, so that
    /// readelf and patchelf see the same file the loader does.
    public func rewrite(interpreter newInterpreter: String?, runpath newRunpath: String?) throws {
        let fd = try SystemCall.retrying("cannot open '\(path)' for writing") { open(path, O_RDWR | O_CLOEXEC) }
        defer { close(fd) }
        let writer = ElfReader(fd: fd, path: path, size: fileSize)
        let page: UInt64 = machine == ElfFile.aarch64 ? 0x10000 : 0x1000
        let segmentOffset = fileSize.roundedUp(to: page)
        let loads = programHeaders.filter { $0.type == ProgramHeader.load }
        let segmentAddress = (loads.map { $0.address + $0.memorySize }.max() ?? 0).roundedUp(to: page)
        var segment: [UInt8] = []
        /// Appends `bytes` to the new segment: their file offset and address.
        func place(_ bytes: [UInt8], alignment: Int) -> (offset: UInt64, address: UInt64) {
            segment += [UInt8](repeating: 0, count: (alignment - segment.count % alignment) % alignment)
            defer { segment += bytes }
            return (segmentOffset + UInt64(segment.count), segmentAddress + UInt64(segment.count))
        }
        var headers = programHeaders
        /// Everything is written at the end, once it is known that everything fits.
        var writes: [(bytes: [UInt8], offset: UInt64)] = []
        /// Section headers to move: old file offset → new offset, address, size.
        var moved: [UInt64: (offset: UInt64, address: UInt64, size: UInt64)] = [:]

        if let newInterpreter, let index = headers.firstIndex(where: { $0.type == ProgramHeader.interp }),
            newInterpreter != interpreter
        {
            let bytes = Array(newInterpreter.utf8) + [0]
            if UInt64(bytes.count) <= headers[index].fileSize {
                writes.append(
                    (
                        bytes + [UInt8](repeating: 0, count: Int(headers[index].fileSize) - bytes.count),
                        headers[index].offset
                    ))
            } else {
                let (offset, address) = place(bytes, alignment: 1)
                moved[headers[index].offset] = (offset, address, UInt64(bytes.count))
                headers[index].offset = offset
                headers[index].address = address
                headers[index].physicalAddress = address
                headers[index].fileSize = UInt64(bytes.count)
                headers[index].memorySize = UInt64(bytes.count)
            }
        }

        if let newRunpath, let strings,
            let dynamicIndex = headers.firstIndex(where: { $0.type == ProgramHeader.dynamic }),
            newRunpath.split(separator: ":").map(String.init) != runpath ?? []
                || dynamic.contains(where: { $0.tag == Tag.rpath })
        {
            var entries = Array(dynamic.prefix { $0.tag != Tag.null })
            let capacity = dynamic.count
            // The new string goes at the end of a copy of the table: strings in a table may share
            // tails, so none is overwritten.
            let table = strings.bytes + Array(newRunpath.utf8) + [0]
            let (tableOffset, tableAddress) = place(table, alignment: 1)
            moved[strings.offset] = (tableOffset, tableAddress, UInt64(table.count))
            entries.removeAll { $0.tag == Tag.rpath || $0.tag == Tag.runpath }
            entries = entries.map { entry in
                switch entry.tag {
                case Tag.stringTable: (entry.tag, tableAddress)
                case Tag.stringTableSize: (entry.tag, UInt64(table.count))
                default: entry
                }
            }
            entries.append((Tag.runpath, UInt64(strings.bytes.count)))
            let encoded = entries.flatMap { [UInt8](le: UInt64(bitPattern: $0.tag)) + [UInt8](le: $0.value) }
            if entries.count < capacity {
                // Still fits, with a DT_NULL after it: the slots left over are zeroed.
                writes.append(
                    (
                        encoded + [UInt8](repeating: 0, count: (capacity - entries.count) * 16),
                        headers[dynamicIndex].offset
                    ))
            } else {
                let bytes = encoded + [UInt8](repeating: 0, count: 16)
                let (offset, address) = place(bytes, alignment: 8)
                moved[headers[dynamicIndex].offset] = (offset, address, UInt64(bytes.count))
                headers[dynamicIndex].offset = offset
                headers[dynamicIndex].address = address
                headers[dynamicIndex].physicalAddress = address
                headers[dynamicIndex].fileSize = UInt64(bytes.count)
                headers[dynamicIndex].memorySize = UInt64(bytes.count)
            }
        }

        if !segment.isEmpty {
            guard
                let free = headers.firstIndex(where: { $0.type == ProgramHeader.null })
                    ?? headers.lastIndex(where: { $0.type == ProgramHeader.note })
            else {
                throw BuildError("\(path): no program header is free for a new segment (no PT_NOTE or PT_NULL)")
            }
            headers.remove(at: free)
            // Loadable segments stay sorted by address, as the loader and the kernel expect.
            let after = (headers.lastIndex { $0.type == ProgramHeader.load } ?? -1) + 1
            headers.insert(
                ProgramHeader(
                    type: ProgramHeader.load, flags: 4 | 2, offset: segmentOffset, address: segmentAddress,
                    physicalAddress: segmentAddress, fileSize: UInt64(segment.count),
                    memorySize: UInt64(segment.count), alignment: page), at: after)
            writes.append((segment, segmentOffset))
        }
        if headers != programHeaders { writes.append((headers.flatMap(\.encoded), programHeaderOffset)) }
        if !moved.isEmpty, sectionCount > 0 {
            var sections = try writer.bytes(at: sectionHeaderOffset, count: sectionCount * 64)
            for index in 0..<sectionCount {
                let base = index * 64
                // Sections without contents in the file (SHT_NOBITS, SHT_NULL) share offsets.
                let type = sections.u32(base + 4)
                guard type != 0, type != 8, let to = moved[sections.u64(base + 24)] else { continue }
                sections.replace(at: base + 16, with: [UInt8](le: to.address))
                sections.replace(at: base + 24, with: [UInt8](le: to.offset))
                sections.replace(at: base + 32, with: [UInt8](le: to.size))
            }
            writes.append((sections, sectionHeaderOffset))
        }
        for (bytes, offset) in writes { try writer.write(bytes, at: offset) }
    }
}

/// Checked reads and writes of an ELF file's bytes.
private struct ElfReader {
    let fd: Int32
    let path: String
    let size: UInt64

    func malformed(_ what: String) -> BuildError { BuildError("\(path): malformed ELF file (\(what))") }

    func bytes(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw malformed("\(count) bytes at \(offset) lie outside the file")
        }
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = try SystemCall.retrying("cannot read '\(path)'") {
                buffer.withUnsafeMutableBytes {
                    pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                }
            }
            guard n > 0 else { throw malformed("it ends early") }
            done += n
        }
        return buffer
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            done += try SystemCall.retrying("cannot write '\(path)'") {
                bytes.withUnsafeBytes {
                    pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
                }
            }
        }
    }
}

extension [UInt8] {
    fileprivate init<T: FixedWidthInteger>(le value: T) {
        self = Swift.withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    fileprivate func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    fileprivate func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(self[at + $1]) << (8 * $1) } }
    fileprivate func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(self[at + $1]) << (8 * $1) } }

    fileprivate mutating func replace(at: Int, with bytes: [UInt8]) {
        replaceSubrange(at..<(at + bytes.count), with: bytes)
    }
}

extension UInt64 {
    fileprivate func roundedUp(to alignment: UInt64) -> UInt64 { (self + alignment - 1) / alignment * alignment }
}
