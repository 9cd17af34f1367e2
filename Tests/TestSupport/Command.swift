import DevenvBasics
import Foundation

/// What a finished child process left behind.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: String

    /// Standard output as text, without the trailing newline.
    public var output: String {
        var text = String(decoding: stdout, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

/// Runs `executable` to completion (failing after `timeout` seconds). Output goes through
/// temporary files, so a child that writes hundreds of megabytes cannot block on a full pipe.
public func runCommand(
    _ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String]? = nil,
    currentDirectory: String? = nil, timeout: Double = 600
) throws -> CommandResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("devenv-cmd-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outPath = scratch.appendingPathComponent("out").path
    let errPath = scratch.appendingPathComponent("err").path
    let inPath = scratch.appendingPathComponent("in").path
    try (input ?? Data()).write(to: URL(fileURLWithPath: inPath))
    let files = [
        open(inPath, O_RDONLY | O_CLOEXEC), open(outPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644),
        open(errPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644),
    ]
    defer { files.forEach { close($0) } }
    guard !files.contains(-1) else { throw CommandFailure(description: "cannot create files under \(scratch.path)") }
    let child = try ChildProcess(
        executable, arguments, environment: environment,
        streams: Subprocess.Streams(input: files[0], output: files[1], error: files[2]), directory: currentDirectory)
    let status = try child.wait(timeout: timeout)
    return CommandResult(
        status: status,
        stdout: try Data(contentsOf: URL(fileURLWithPath: outPath)),
        stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errPath)), as: UTF8.self))
}
