/// How manifest `env` values refer to other variables: `$NAME` and `${NAME}` are replaced by
/// the variable's value (empty when unset), `$$` is a single `$`, and any other `$` stays as it is.
public enum VariableExpansion {
    public static func expand(_ value: String, in environment: [String: String]) -> String {
        var out = ""
        var index = value.startIndex
        func isNameStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
        func isName(_ c: Character) -> Bool { isNameStart(c) || (c.isASCII && c.isNumber) }
        while index < value.endIndex {
            let char = value[index]
            let next = value.index(after: index)
            guard char == "$", next < value.endIndex else {
                out.append(char)
                index = next
                continue
            }
            if value[next] == "$" {
                out.append("$")
                index = value.index(after: next)
            } else if value[next] == "{", let close = value[next...].firstIndex(of: "}"),
                value[value.index(after: next)..<close].allSatisfy(isName), value.index(after: next) < close
            {
                out += environment[String(value[value.index(after: next)..<close])] ?? ""
                index = value.index(after: close)
            } else if isNameStart(value[next]) {
                let end = value[next...].firstIndex { !isName($0) } ?? value.endIndex
                out += environment[String(value[next..<end])] ?? ""
                index = end
            } else {
                out.append(char)
                index = next
            }
        }
        return out
    }
}
