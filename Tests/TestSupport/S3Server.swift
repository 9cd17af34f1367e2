import DevenvBasics
import Foundation

/// The loopback S3 server of Tests/Fixtures/s3-server.py (moto, from the virtual environment
/// scripts/install-test-tools makes), with its bucket `cache` and the credentials it accepts,
/// for as long as the value lives.
public final class S3Server: @unchecked Sendable {
    public struct Credentials: Decodable, Sendable {
        public let id: String
        public let secret: String
        public var token: String?

        public init(id: String, secret: String, token: String? = nil) {
            self.id = id
            self.secret = secret
            self.token = token
        }
    }

    private struct Started: Decodable {
        let port: Int
        let user: Credentials
        let session: Credentials
    }

    public let port: Int
    /// An IAM user's access key.
    public let user: Credentials
    /// Session credentials of an assumed role (with a token).
    public let session: Credentials
    private let process: ChildProcess

    /// The Python of the test tools' virtual environment.
    static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/test-tools/bin/python").path

    /// Whether scripts/install-test-tools has made the environment with moto.
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: python) }

    public init() throws {
        let (process, line) = try HTTPServer.launch(S3Server.python, [HTTPServer.fixture("s3-server.py")])
        guard let started = try? JSONDecoder().decode(Started.self, from: Data(line.utf8)) else {
            process.kill()
            throw CommandFailure(description: "the test S3 server did not start")
        }
        self.process = process
        port = started.port
        user = started.user
        session = started.session
    }

    deinit { process.kill() }

    /// The cache URL of the bucket, as devenv and Nix name it.
    public var cacheURL: String { "s3://cache?endpoint=127.0.0.1:\(port)&scheme=http&region=us-east-1" }

    /// The variables that give `credentials` to a program (and nothing from the host's AWS setup).
    public static func environment(_ credentials: Credentials) -> [String: String] {
        [
            "AWS_ACCESS_KEY_ID": credentials.id, "AWS_SECRET_ACCESS_KEY": credentials.secret,
            "AWS_SESSION_TOKEN": credentials.token ?? "", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_PROFILE": "", "AWS_REGION": "",
        ]
    }
}
