import DevenvBasics
import Foundation

/// The loopback HTTP server of Tests/Fixtures/http-server.py, serving a directory, for as long
/// as the value lives.
public final class HTTPServer: @unchecked Sendable {
    public let port: Int
    private let process: ChildProcess

    public init(root: String) throws {
        let script = HTTPServer.fixture("http-server.py")
        let (process, line) = try HTTPServer.launch("/usr/bin/env", ["python3", script, root])
        guard let port = Int(line) else {
            process.kill()
            throw CommandFailure(description: "the test HTTP server did not start")
        }
        self.process = process
        self.port = port
    }

    /// The path of a file in Tests/Fixtures.
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/" + name).path
    }

    /// Starts a server program and reads the first line it prints (where it listens).
    static func launch(_ program: String, _ arguments: [String]) throws -> (ChildProcess, String) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw CommandFailure(description: "cannot make a pipe") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let output = FileHandle(fileDescriptor: ends[0], closeOnDealloc: true)
        let started = Result {
            try ChildProcess(program, arguments, streams: Subprocess.Streams(output: ends[1]))
        }
        close(ends[1])  // the server has its own copy: reading ends if it dies
        let process = try started.get()
        var line = Data()
        while let byte = try output.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        return (process, String(decoding: line, as: UTF8.self))
    }

    deinit { process.kill() }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    /// The paths requested so far, whether each came through a proxy, and whether each carried
    /// an S3 session token.
    public func requests() throws -> [(path: String, proxied: Bool, token: Bool)] {
        let entries = try JSONSerialization.jsonObject(with: get("log")) as! [[String: Any]]
        return entries.map { ($0["path"] as! String, $0["proxied"] as! Bool, $0["token"] as? Bool ?? false) }
    }

    /// The most requests the server was answering at once.
    public func peak() throws -> Int {
        try JSONSerialization.jsonObject(with: get("peak"), options: .fragmentsAllowed) as! Int
    }

    private func get(_ path: String) throws -> Data {
        let fetch = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())"
        return try runCommand("/usr/bin/env", ["python3", "-c", fetch, url(path)]).stdout
    }
}
