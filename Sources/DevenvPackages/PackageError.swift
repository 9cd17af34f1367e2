/// A problem with a package set or a package name; `description` is the one-line message,
/// `file:line:column: …` where the problem has a place.
public struct PackageError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
