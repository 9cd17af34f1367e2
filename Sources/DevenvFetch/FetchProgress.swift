/// What a fetch tells whoever shows progress; the fetch layer itself never prints.
public protocol FetchProgress: Sendable {
    /// A transfer of `url` began; `total` is its size when the server said.
    func started(_ id: Int, url: String, total: UInt64?)
    /// `received` bytes of `total` have arrived (called at most a few times a second).
    func advanced(_ id: Int, received: UInt64, total: UInt64?)
    /// The transfer ended; `error` is nil on success.
    func finished(_ id: Int, url: String, received: UInt64, seconds: Double, error: String?)
    /// A transient failure; another attempt follows after `delay` seconds.
    func retrying(_ id: Int, url: String, reason: String, delay: Double)
}

/// Shows nothing.
public struct SilentProgress: FetchProgress {
    public init() {}
    public func started(_ id: Int, url: String, total: UInt64?) {}
    public func advanced(_ id: Int, received: UInt64, total: UInt64?) {}
    public func finished(_ id: Int, url: String, received: UInt64, seconds: Double, error: String?) {}
    public func retrying(_ id: Int, url: String, reason: String, delay: Double) {}
}
