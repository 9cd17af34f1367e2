import DevenvBasics
import Glibc

/// Where the bytes of a NAR go as they are produced, one chunk at a time.
public protocol NarSink {
    mutating func consume(_ chunk: UnsafeRawBufferPointer) throws
}

/// Writes a NAR to a file descriptor (stdout for `store dump`).
public struct FileDescriptorSink: NarSink {
    public let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    public mutating func consume(_ chunk: UnsafeRawBufferPointer) throws {
        try SystemCall.writeAll(fd, chunk, "cannot write NAR")
    }
}

/// Hands every chunk to two sinks, so one pass over a tree can, say, hash and scan it.
public struct TeeSink<First: NarSink, Second: NarSink>: NarSink {
    public var first: First
    public var second: Second

    public init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    public mutating func consume(_ chunk: UnsafeRawBufferPointer) throws {
        try first.consume(chunk)
        try second.consume(chunk)
    }
}
