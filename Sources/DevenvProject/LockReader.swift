import DevenvBasics
import DevenvBuild
import DevenvPackages

/// Typed access to the JSON of devenv.lock; a missing or mistyped field is an error naming it.
struct LockReader {
    let value: CanonicalJSON
    let path: String

    init(_ value: CanonicalJSON, path: String = "") {
        self.value = value
        self.path = path
    }

    /// An error about this value: "devenv.lock is damaged: inputs.pkgs.type <message>".
    func error(_ message: String) -> ProjectError {
        ProjectError("devenv.lock is damaged: \(path.isEmpty ? "the top level" : path) \(message)")
    }

    private var members: [String: CanonicalJSON] {
        get throws {
            guard case .object(let members) = value else { throw error("must be an object") }
            return members
        }
    }

    func field(_ key: String) throws -> LockReader {
        guard let member = try members[key] else { throw error("needs '\(key)'") }
        return LockReader(member, path: path.isEmpty ? key : "\(path).\(key)")
    }

    func has(_ key: String) throws -> Bool {
        guard let member = try members[key] else { return false }
        return member != .null
    }

    func asString() throws -> String {
        guard case .string(let text) = value else { throw error("must be a string") }
        return text
    }

    func string(_ key: String) throws -> String { try field(key).asString() }

    func optionalString(_ key: String) throws -> String? { try has(key) ? try string(key) : nil }

    func integer(_ key: String) throws -> Int64 {
        let member = try field(key)
        guard case .integer(let number) = member.value else { throw member.error("must be an integer") }
        return number
    }

    func optionalInteger(_ key: String) throws -> Int64? { try has(key) ? try integer(key) : nil }

    func optionalBool(_ key: String) throws -> Bool? {
        guard try has(key) else { return nil }
        let member = try field(key)
        guard case .bool(let flag) = member.value else { throw member.error("must be true or false") }
        return flag
    }

    func array(_ key: String) throws -> [LockReader] { try field(key).items() }

    func items() throws -> [LockReader] {
        guard case .array(let items) = value else { throw error("must be an array") }
        return items.enumerated().map { LockReader($1, path: "\(path)[\($0)]") }
    }

    func object(_ key: String) throws -> [String: LockReader] { try field(key).objectMembers() }

    func objectMembers() throws -> [String: LockReader] {
        try members.reduce(into: [:]) { $0[$1.key] = LockReader($1.value, path: "\(path).\($1.key)") }
    }

    func optionalObject(_ key: String) throws -> LockReader? { try has(key) ? try field(key) : nil }

    func stringMap(_ key: String) throws -> [String: String] { try object(key).mapValues { try $0.asString() } }

    /// A map of variables: every key must be a name shells accept (they are written into shell code).
    func variables(_ key: String) throws -> [String: String] {
        let map = try stringMap(key)
        if let wrong = map.keys.sorted().first(where: { !ShellSyntax.isVariable($0) || Environment.isDevenvOwn($0) }) {
            throw try field(key).error(
                "has \(wrong.debugDescription), which is not \(ShellSyntax.variableRule), or is devenv's own (DEVENV_…)"
            )
        }
        return map
    }
}
