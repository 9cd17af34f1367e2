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

/// Runs `executable` to completion. Output goes through temporary files, so a child that writes
/// hundreds of megabytes cannot block on a full pipe.
public func runCommand(
    _ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String]? = nil,
    currentDirectory: String? = nil
) throws -> CommandResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("devenv-cmd-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("out")
    let errURL = scratch.appendingPathComponent("err")
    let inURL = scratch.appendingPathComponent("in")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    try (input ?? Data()).write(to: inURL)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    let inHandle = try FileHandle(forReadingFrom: inURL)
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = inHandle
    try process.run()
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    try inHandle.close()
    return CommandResult(
        status: process.terminationStatus,
        stdout: try Data(contentsOf: outURL),
        stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}
