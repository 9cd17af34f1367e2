import DevenvBasics
import TOMLKit

/// `builtins.fromTOML` (Nix 2.8's primops/fromTOML.cc): tables become sets, arrays lists, and
/// integers, floats, Booleans and strings themselves; Nix has no type for dates and times, so
/// they are an error as in Nix 2.8.
enum NixTOML {
    static func parse(_ text: String, at position: NixPosition?) throws -> NixValue {
        do {
            // What TOMLKit's parser would assert on (a header `[ #…`, NUL, deep nesting) is
            // refused first, as for devenv.toml.
            try TOMLInputCheck.check(text, file: "(string)")
            return try value(TOMLTable(string: text))
        } catch let error as TOMLError {
            throw NixEvalError("while parsing a TOML string: \(error.description)", at: position)
        } catch let error as TOMLParseError {
            throw NixEvalError(
                "while parsing a TOML string: \(error.description) (at line \(error.source.begin.line), column \(error.source.begin.column))",
                at: position)
        } catch let error as NixEvalError {
            throw error.located(position)
        }
    }

    private static func value(_ toml: TOMLValueConvertible) throws -> NixValue {
        switch toml.type {
        case .table:
            var entries: [NixAttrs.Entry] = []
            for (key, element) in toml.table! {
                entries.append(NixAttrs.Entry(name: key, attr: NixAttrs.Attr(value: try value(element))))
            }
            return .attrs(NixAttrs(unsorted: entries))
        case .array:
            return .list(NixList(try toml.array!.map { try value($0) }))
        case .string: return .string(NixString(toml.string!))
        case .int: return .int(toml.int!)
        case .double: return .float(toml.double!)
        case .bool: return .bool(toml.bool!)
        case .date, .time, .dateTime:
            throw NixEvalError("while parsing a TOML string: Dates and times are not supported")
        }
    }
}
