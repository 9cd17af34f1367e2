import DevenvBasics

/// Binary caches to substitute from and the keys whose signatures count there: config.toml's
/// `[cache]`, or what a project's devenv.toml suggests (used once the project is allowed).
public struct CacheSources: Sendable, Equatable {
    public var substituters: [BinaryCache] = []
    public var trustedKeys: [TrustedKey] = []

    public init(substituters: [BinaryCache] = [], trustedKeys: [TrustedKey] = []) {
        self.substituters = substituters
        self.trustedKeys = trustedKeys
    }

    public var isEmpty: Bool { substituters.isEmpty && trustedKeys.isEmpty }

    /// `substituters` and `trusted-public-keys` of a `[cache]` table; a bad one is an error at
    /// its place in the file. `suggested`: a project's, which may not name an S3 cache (it would
    /// be asked with the user's AWS credentials, at an endpoint the project chose).
    public init(reading table: TOMLTableReader, suggested: Bool = false) throws {
        for url in try table.strings("substituters") ?? [] {
            do {
                let cache = try BinaryCache(url: url)
                if suggested && cache.s3 != nil {
                    throw CacheError(
                        "a project cannot suggest an S3 cache: it would be read with your AWS credentials; "
                            + "put it in config.toml if you trust it")
                }
                substituters.append(cache)
            } catch let error as CacheError {
                throw table.document.error(at: table.path + ["substituters"], element: url, error.description)
            }
        }
        for text in try table.strings("trusted-public-keys") ?? [] {
            do {
                trustedKeys.append(try TrustedKey(parsing: text))
            } catch let error as CacheError {
                throw table.document.error(at: table.path + ["trusted-public-keys"], element: text, error.description)
            }
        }
    }

    /// These, then what `other` adds.
    public func adding(_ other: CacheSources) -> CacheSources {
        CacheSources(
            substituters: substituters + other.substituters.filter { !substituters.contains($0) },
            trustedKeys: trustedKeys + other.trustedKeys.filter { !trustedKeys.contains($0) })
    }

    /// One line per cache and key, for people.
    public var description: [String] {
        substituters.map { "cache \($0.url)" } + trustedKeys.map { "trusted key \($0.text)" }
    }
}
