import DevenvBuild
import TestSupport

extension RecordingProgress: BuildProgress {
    public func building(_ name: String, path: String, how: BuildKind) { record("building \(name) \(how)") }
    public func built(_ name: String, path: String, seconds: Double) { record("built \(name)") }
    public func warning(_ message: String) { record("warning \(message)") }
}
