/// A container image that cannot be made, read or pushed, with the reason in one line.
public struct ContainerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
