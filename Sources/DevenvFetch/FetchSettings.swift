/// How fetching behaves: mirrors, retries and parallelism.
public struct FetchSettings: Sendable, Equatable {
    /// URL prefix → replacement prefix (`[mirrors]` in config.toml). A mirrored URL is tried
    /// first, then the original; whatever arrives is verified against the pinned hash all the same.
    public var mirrors: [String: String]
    /// Attempts per URL for transient failures (connection errors, timeouts, HTTP 5xx, 408, 429).
    public var attempts: Int
    /// Seconds before the first retry; doubled for each further one.
    public var backoff: Double
    /// Downloads running at once.
    public var parallelDownloads: Int
    /// Seconds without a byte after which a transfer fails (and at most 30 to connect).
    public var stallTimeout = 60
    /// URL → URLs tried after it and its mirror (Debian's snapshot service for a `.deb` that the
    /// mirrors no longer have).
    public var fallbacks: [String: [String]] = [:]

    public init(mirrors: [String: String] = [:], attempts: Int = 3, backoff: Double = 0.5, parallelDownloads: Int = 4) {
        self.mirrors = mirrors
        self.attempts = attempts
        self.backoff = backoff
        self.parallelDownloads = parallelDownloads
    }

    /// The URLs to try for `url`, best first: the longest matching mirror prefix, then the
    /// original, then its fallbacks (each mirrored in turn).
    public func candidates(for url: String) -> [String] {
        ([url] + (fallbacks[url] ?? [])).flatMap { url in
            let match = mirrors.keys.filter { url.hasPrefix($0) }.max { $0.count < $1.count }
            guard let match, let replacement = mirrors[match] else { return [url] }
            return [replacement + url.dropFirst(match.count), url]
        }
    }
}
