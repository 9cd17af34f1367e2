import DevenvBasics
import DevenvBuild
import DevenvFetch
import DevenvStore

/// A derivation as the lock records it: complete, dependencies nested, so the lock alone can
/// rebuild it after the package set has moved on.
extension Derivation {
    var lockJSON: CanonicalJSON {
        var object: [String: CanonicalJSON] = [
            "name": .string(name),
            "version": .string(version),
            "system": .string(system),
            "sources": .array(
                sources.map { source in
                    var fields: [String: CanonicalJSON] = [
                        "url": .string(source.url), "hash": .string(source.hash.sri),
                    ]
                    if let unpack = source.unpack {
                        var options: [String: CanonicalJSON] = ["strip": .integer(Int64(unpack.strip))]
                        if let subdir = unpack.subdir { options["subdir"] = .string(subdir) }
                        fields["unpack"] = .object(options)
                    }
                    return .object(fields)
                }),
            "dependencies": .array(dependencies.map(\.lockJSON)),
            "environment": .object(environment.mapValues(CanonicalJSON.string)),
            "paths": .array(paths.map(CanonicalJSON.string)),
        ]
        if let script { object["script"] = .string(script) }
        if relocate { object["relocate"] = .bool(true) }
        return .object(object)
    }

    init(lockJSON json: LockReader) throws {
        self.init(
            name: try json.string("name"), version: try json.string("version"), system: try json.string("system"),
            sources: try json.array("sources").map { source in
                let unpack = try source.optionalObject("unpack").map { options in
                    UnpackOptions(
                        strip: Int(try options.integer("strip")), subdir: try options.optionalString("subdir"))
                }
                return Derivation.Source(
                    url: try source.string("url"), hash: try Hash(parsing: try source.string("hash")), unpack: unpack)
            },
            dependencies: try json.array("dependencies").map(Derivation.init(lockJSON:)),
            script: try json.optionalString("script"), environment: try json.variables("environment"),
            paths: try json.array("paths").map { path in
                let text = try path.asString()
                guard Derivation.isOutputDirectory(text) else {
                    throw path.error("\(text.debugDescription) is not a directory inside the output")
                }
                return text
            }, relocate: try json.optionalBool("relocate") ?? false)
    }
}
