import Foundation

/// A directory under /tmp that exists for the lifetime of the value, removed afterwards even when
/// the test left read-only store trees in it.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "test") throws {
        var template = Array("/tmp/devenv-\(label).XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: created)
    }

    deinit {
        _ = try? runCommand("/bin/sh", ["-c", "chmod -R u+w \"$0\" 2>/dev/null; rm -rf \"$0\"", path])
    }

    /// The absolute path of `relative` inside this directory.
    public func callAsFunction(_ relative: String) -> String { path + "/" + relative }

    /// Runs `script` with /bin/sh in this directory, with umask 022, failing on a non-zero exit.
    @discardableResult
    public func sh(_ script: String) throws -> String {
        let result = try runCommand("/bin/sh", ["-c", "umask 022; " + script], currentDirectory: path)
        guard result.status == 0 else {
            throw CommandFailure(description: "sh -c '\(script)' exited \(result.status): \(result.stderr)")
        }
        return result.output
    }
}

public struct CommandFailure: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) { self.description = description }
}
