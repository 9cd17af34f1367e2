import Foundation

/// The loopback HTTP server of Tests/Fixtures/http-server.py, serving a directory, for as long
/// as the value lives.
public final class HTTPServer: @unchecked Sendable {
    public let port: Int
    private let process: Process

    public init(root: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/http-server.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, root]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw CommandFailure(description: "the test HTTP server did not start")
        }
        self.port = port
    }

    // SIGKILL: children of the test runner may inherit a mask that blocks SIGTERM.
    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    /// The paths requested so far, and whether each came through a proxy.
    public func requests() throws -> [(path: String, proxied: Bool)] {
        let fetch = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())"
        let data = try runCommand("/usr/bin/env", ["python3", "-c", fetch, url("log")]).stdout
        let entries = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        return entries.map { ($0["path"] as! String, $0["proxied"] as! Bool) }
    }
}
