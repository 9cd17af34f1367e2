import Foundation

/// Values as `nix-instantiate --eval` prints them (Nix 2.8's `Value::print`): sets with their
/// names in byte order, a set or list already printed once shown as `«repeated»`, unevaluated
/// parts as `<CODE>`, functions as `<LAMBDA>` / `<PRIMOP>` / `<PRIMOP-APP>`.
public enum NixPrinter {
    public static func print(_ value: NixValue) -> String {
        var output = ""
        var seen = Set<ObjectIdentifier>()
        // An explicit stack: a long list or a deep set costs no native stack.
        enum Piece {
            case value(NixValue)
            case text(String)
        }
        var pending: [Piece] = [.value(value)]
        while let piece = pending.popLast() {
            switch piece {
            case .text(let text):
                output += text
            case .value(let value):
                switch value {
                case .thunk(let thunk):
                    if case .done(let forced) = thunk.state {
                        pending.append(.value(forced))
                    } else {
                        output += "<CODE>"
                    }
                case .attrs(let attrs):
                    if attrs.count > 0 && !seen.insert(attrs.identifier).inserted {
                        output += "«repeated»"
                        continue
                    }
                    output += "{ "
                    pending.append(.text("}"))
                    for entry in attrs.sortedEntries.reversed() {
                        pending.append(.text("; "))
                        pending.append(.value(entry.attr.value))
                        pending.append(.text(NixPrinter.name(entry.name) + " = "))
                    }
                case .list(let list):
                    if !list.elements.isEmpty && !seen.insert(list.identifier).inserted {
                        output += "«repeated»"
                        continue
                    }
                    output += "[ "
                    pending.append(.text("]"))
                    for element in list.elements.reversed() {
                        pending.append(.text(" "))
                        pending.append(.value(element))
                    }
                default:
                    output += scalar(value)
                }
            }
        }
        return output
    }

    static func scalar(_ value: NixValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let bool): return bool ? "true" : "false"
        case .int(let int): return String(int)
        case .float(let float): return format(float)
        case .string(let string): return quoted(string.text)
        case .path(let path): return path.text
        case .lambda: return "<LAMBDA>"
        case .primop: return "<PRIMOP>"
        case .partial: return "<PRIMOP-APP>"
        case .thunk: return "<CODE>"
        case .attrs, .list: return ""
        }
    }

    /// A name as Nix writes it (`showId`): plain when it is an identifier, quoted otherwise.
    static func name(_ name: String) -> String {
        func isLetter(_ byte: UInt8) -> Bool { (65...90).contains(byte) || (97...122).contains(byte) || byte == 95 }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, name != "if" else { return NixExpr.showString(name) }
        let identifier =
            isLetter(first) && bytes.allSatisfy { isLetter($0) || (48...57).contains($0) || $0 == 39 || $0 == 45 }
        return identifier ? name : NixExpr.showString(name)
    }

    /// A float as C++'s `ostream <<` writes it: six significant digits, `%g`.
    static func format(_ float: Double) -> String { String(format: "%g", float) }

    /// A string literal Nix reads back: `"`, `\`, newline, CR, tab and `${` escaped.
    public static func quoted(_ text: String) -> String {
        var result = "\""
        let bytes = Array(text.utf8)
        var escaped: [UInt8] = []
        escaped.reserveCapacity(bytes.count)
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): escaped += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\n"): escaped += Array("\\n".utf8)
            case UInt8(ascii: "\r"): escaped += Array("\\r".utf8)
            case UInt8(ascii: "\t"): escaped += Array("\\t".utf8)
            case UInt8(ascii: "$") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "{"):
                escaped += Array("\\$".utf8)
            default: escaped.append(byte)
            }
        }
        result += String(decoding: escaped, as: UTF8.self)
        return result + "\""
    }
}
