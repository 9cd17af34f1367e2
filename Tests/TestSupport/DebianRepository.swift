import Foundation

/// A small Debian archive the tests make: `.deb`s built with dpkg-deb, `Packages` (and `.xz`)
/// for `amd64` and `all`, a `Release` listing their SHA-256, clearsigned by a test key with gpg
/// as `InRelease`, with `by-hash` copies as Debian's mirror has them. Served as files; the
/// caller serves the directory (a loopback HTTP server) or reads it as it likes. Repositories of
/// other suites may share the root (a base suite and its backports), as they share the pool.
public final class DebianRepository: @unchecked Sendable {
    /// One binary package: its control fields, and files as path → (content, executable).
    public struct Package: Sendable {
        public var name: String
        public var version: String
        public var architecture: String
        public var fields: [String: String]
        public var files: [String: (content: String, executable: Bool)]
        /// Path in the package → a file to copy there (a program built by the test).
        public var copies: [String: String]
        /// Path in the package → link target.
        public var links: [String: String]
        /// A tar file that replaces the data dpkg-deb packed (an archive dpkg-deb would refuse
        /// to make, with `..` in a name, say).
        public var dataTar: String?
        /// The archive's component (`main`, `contrib`, …).
        public var component: String

        public init(
            _ name: String, _ version: String, architecture: String = "amd64", fields: [String: String] = [:],
            files: [String: (content: String, executable: Bool)] = [:], copies: [String: String] = [:],
            links: [String: String] = [:], dataTar: String? = nil, component: String = "main"
        ) {
            self.component = component
            self.name = name
            self.version = version
            self.architecture = architecture
            self.fields = fields
            self.files = files
            self.copies = copies
            self.links = links
            self.dataTar = dataTar
        }
    }

    public let root: String
    public let suite: String
    /// The test key's public part, ASCII-armored.
    public private(set) var publicKey = ""

    public init(root: String, suite: String = "testing") {
        self.root = root
        self.suite = suite
    }

    private var gnupg: String { root + "/.gnupg" }

    /// Builds the suite of `packages`; `validUntil` (seconds from now) is written when given, and
    /// `releaseFields` (`NotAutomatic`, say) in the Release.
    public func build(
        _ packages: [Package], validUntil: Int? = nil, sign: Bool = true, releaseFields: [String: String] = [:]
    ) throws {
        let dir = root
        let components = ["main"] + Set(packages.map(\.component)).subtracting(["main"]).sorted()
        let directories = components.map {
            "dists/\(suite)/\($0)/binary-amd64 dists/\(suite)/\($0)/binary-all pool/\($0)"
        }.joined(separator: " ")
        var script = """
            set -e
            cd '\(dir)'
            rm -rf dists/\(suite) build && mkdir -p \(directories) build
            export GNUPGHOME='\(gnupg)'
            if [ ! -d "$GNUPGHOME" ]; then
              mkdir -m 700 "$GNUPGHOME"
              gpg -q --batch --passphrase '' --quick-gen-key 'Test Archive <archive@example.org>' ed25519 sign never
            fi
            gpg -q --export --armor 'Test Archive' > key.asc

            """
        for package in packages {
            let build = "build/\(package.name)"
            script += "mkdir -p '\(build)/DEBIAN'\n"
            var control =
                "Package: \(package.name)\nVersion: \(package.version)\nArchitecture: \(package.architecture)\nMaintainer: Tests <t@example.org>\n"
            for (key, value) in package.fields.sorted(by: { $0.key < $1.key }) { control += "\(key): \(value)\n" }
            control += "Description: \(package.name) for the tests\n"
            script += "printf '%s' '\(control)' > '\(build)/DEBIAN/control'\n"
            for (path, file) in package.files.sorted(by: { $0.key < $1.key }) {
                script += "mkdir -p \"$(dirname '\(build)/\(path)')\"\n"
                script +=
                    "printf '%s' '\(file.content.replacingOccurrences(of: "'", with: "'\\''"))' > '\(build)/\(path)'\n"
                if file.executable { script += "chmod 755 '\(build)/\(path)'\n" }
            }
            for (path, source) in package.copies.sorted(by: { $0.key < $1.key }) {
                script += "mkdir -p \"$(dirname '\(build)/\(path)')\" && cp '\(source)' '\(build)/\(path)'\n"
            }
            for (path, target) in package.links.sorted(by: { $0.key < $1.key }) {
                script += "mkdir -p \"$(dirname '\(build)/\(path)')\" && ln -s '\(target)' '\(build)/\(path)'\n"
            }
            let deb = "pool/\(package.component)/\(package.name)_\(package.version)_\(package.architecture).deb"
            script += "dpkg-deb --root-owner-group -Zxz --build '\(build)' '\(deb)' >/dev/null\n"
            if let dataTar = package.dataTar {
                script += "xz -c '\(dataTar)' > data.tar.xz && ar r '\(deb)' data.tar.xz && rm data.tar.xz\n"
            }
            script += """
                {
                  cat '\(build)/DEBIAN/control'
                  printf 'Filename: %s\\nSize: %s\\nSHA256: %s\\n\\n' '\(deb)' "$(stat -c %s '\(deb)')" "$(sha256sum '\(deb)' | cut -d' ' -f1)"
                } \(package.architecture == "all" ? "| tee -a dists/\(suite)/\(package.component)/binary-all/Packages" : "") >> dists/\(suite)/\(package.component)/binary-amd64/Packages

                """
        }
        let expiry = validUntil.map { "printf 'Valid-Until: %s\\n' \"$(date -u -R -d '\($0) seconds')\"" } ?? ""
        let fields = releaseFields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\\n" }.joined()
        script += """
            cd dists/\(suite)
            for index in \(components.map { "\($0)/binary-amd64 \($0)/binary-all" }.joined(separator: " ")); do
              touch $index/Packages
              xz -k $index/Packages
              mkdir -p $index/by-hash/SHA256
              cp $index/Packages.xz $index/by-hash/SHA256/$(sha256sum $index/Packages.xz | cut -d' ' -f1)
            done
            {
              printf 'Origin: Tests\\nSuite: \(suite)\\nCodename: \(suite)\\nDate: %s\\n' "$(date -u -R)"
              \(expiry)
              printf '\(fields)'
              printf 'Acquire-By-Hash: yes\\nNo-Support-for-Architecture-all: Packages\\nArchitectures: all amd64\\nComponents: \(components.joined(separator: " "))\\nSHA256:\\n'
              for f in \(components.map { c in ["binary-amd64/Packages", "binary-amd64/Packages.xz", "binary-all/Packages", "binary-all/Packages.xz"].map { "\(c)/\($0)" }.joined(separator: " ") }.joined(separator: " ")); do
                printf ' %s %s %s\\n' "$(sha256sum $f | cut -d' ' -f1)" "$(stat -c %s $f)" "$f"
              done
            } > Release

            """
        if sign {
            script += "gpg -q --batch --yes --clearsign -u 'Test Archive' -o InRelease Release\n"
        } else {
            script += "cp Release InRelease\n"
        }
        let result = try runCommand("/bin/sh", ["-c", script])
        guard result.status == 0 else {
            throw CommandFailure(description: "building the Debian archive: \(result.stderr)")
        }
        publicKey = try String(contentsOfFile: root + "/key.asc", encoding: .utf8)
    }
}
