import DevenvBasics
import DevenvBuild
import DevenvFetch
import DevenvShell
import Testing

struct UserConfigurationTests {
    @Test func settingsAreRead() throws {
        let configuration = try UserConfiguration(
            parsing: """
                sandbox = "required"
                jobs = 3
                [mirrors]
                "https://files.pythonhosted.org/" = "file:///srv/pypi/"
                [fetch]
                attempts = 5
                stall-timeout = 10
                [hook]
                background = false
                [gc]
                automatic = true
                keep = "2w"
                """, file: "config.toml")
        #expect(configuration.hookInBackground == false)
        #expect(configuration.gcAutomatic && configuration.gcKeep == 1_209_600)
        #expect(configuration.build.sandbox == .required)
        #expect(configuration.build.jobs == 3)
        #expect(configuration.build.fetch.mirrors == ["https://files.pythonhosted.org/": "file:///srv/pypi/"])
        #expect(configuration.build.fetch.attempts == 5)
        #expect(configuration.build.fetch.stallTimeout == 10)
        #expect(try UserConfiguration.load(from: "/nonexistent/config.toml") == UserConfiguration())
    }

    @Test func theCacheTokenIsOneLineOfPrintableASCII() throws {
        let configuration = try UserConfiguration(parsing: "", file: "/x/config.toml")
        #expect(try configuration.cacheToken(environment: [:]) == nil)
        #expect(try configuration.cacheToken(environment: ["DEVENV_CACHE_TOKEN": "s3cret\n"]) == "s3cret")
        for hostile in ["a\r\nX-Injected: 1", "a\nb", "tab\there", "é"] {
            #expect(throws: SystemError.self, "\(hostile.debugDescription)") {
                try configuration.cacheToken(environment: ["DEVENV_CACHE_TOKEN": hostile])
            }
        }
        // A token file is read no further than 64 KiB: a device that never ends is refused.
        let endless = try UserConfiguration(parsing: "[cache]\ntoken-file = \"/dev/zero\"\n", file: "/x/config.toml")
        #expect(throws: SystemError("the cache token file /dev/zero is not text of at most 65536 bytes")) {
            try endless.cacheToken(environment: [:])
        }
        let missing = try UserConfiguration(parsing: "[cache]\ntoken-file = \"none\"\n", file: "/x/config.toml")
        #expect(throws: SystemError("the cache token file /x/none does not exist")) {
            try missing.cacheToken(environment: [:])
        }
    }

    @Test func mistakesPointAtTheirLine() throws {
        #expect(
            throws: TOMLError(
                "config.toml:2:1: sandbox must be one of \"auto\", \"required\", \"disabled\", not \"maybe\"")
        ) {
            try UserConfiguration(parsing: "jobs = 2\nsandbox = \"maybe\"\n", file: "config.toml")
        }
        #expect(throws: TOMLError("config.toml:2:1: keep must be a duration like \"30d\", not \"30x\"")) {
            try UserConfiguration(parsing: "[gc]\nkeep = \"30x\"\n", file: "config.toml")
        }
        #expect(throws: TOMLError("config.toml:2:1: stall-timeout must be at least 1")) {
            try UserConfiguration(parsing: "[fetch]\nstall-timeout = 0\n", file: "config.toml")
        }
        let unknown = #expect(throws: TOMLError.self) {
            try UserConfiguration(parsing: "\n\nmirors = {}\n", file: "config.toml")
        }
        #expect(
            unknown?.description.hasPrefix("config.toml:3:1: unknown key 'mirors' at the top level (known keys:")
                == true)
        #expect(UserConfiguration.path(environment: ["HOME": "/h"]) == "/h/.config/devenv/config.toml")
        #expect(
            UserConfiguration.path(environment: ["HOME": "/h", "XDG_CONFIG_HOME": "/x"]) == "/x/devenv/config.toml")
        #expect(UserConfiguration.path(environment: ["DEVENV_CONFIG": "/c.toml"]) == "/c.toml")
    }
}
