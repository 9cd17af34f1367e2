/// A token of the Nix language, as Nix 2.8's lexer (`src/libexpr/lexer.l`) makes it, with the
/// position it starts at (line and column from 1; columns count bytes, as Nix's do).
public struct NixToken: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// `if then else assert with let in rec inherit or`.
        case keyword(String)
        case identifier(String)
        case integer(Int64)
        case float(Double)
        /// `...`, `==`, `!=`, `<=`, `>=`, `&&`, `||`, `->`, `//`, `++`.
        case `operator`(String)
        /// Any other single byte (`;`, `(`, `+`, `"`, `{`, `}`, ...).
        case character(UInt8)
        /// `${`, in code, strings and paths.
        case dollarCurly
        /// Text of a `"` string, escapes resolved.
        case stringText([UInt8])
        /// `''` opening an indented string (and the spaces and newline right after it).
        case indentedOpen
        case indentedClose
        /// Text of an indented string; `raw` text takes part in removing the indentation, the
        /// results of `''$`, `'''` and `''\x` do not.
        case indentedText([UInt8], raw: Bool)
        /// The first part of a path (`./a`, `a/b/`, `/x`), of a home path (`~/a`), a later part
        /// after `${…}` (`pathText`), and its end.
        case path([UInt8])
        case homePath([UInt8])
        case pathText([UInt8])
        case pathEnd
        /// `<nixpkgs/lib>`.
        case searchPath([UInt8])
        /// `https://example.org/x.tar.gz`.
        case uri([UInt8])
        case end
    }

    public let kind: Kind
    public let line: Int
    public let column: Int

    public init(_ kind: Kind, line: Int, column: Int) {
        self.kind = kind
        self.line = line
        self.column = column
    }
}
