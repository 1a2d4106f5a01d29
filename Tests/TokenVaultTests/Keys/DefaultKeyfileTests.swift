import SystemPackage
import Testing
@testable import TokenVault

/// Where the default keyfile is looked for, as gh and age users expect a config file.
@Suite("default keyfile")
struct DefaultKeyfileTests {
    @Test("XDG_CONFIG_HOME when absolute, else HOME's .config", arguments: [
        (["XDG_CONFIG_HOME": "/cfg", "HOME": "/home/a"], "/cfg/tokenvault/key"),
        (["XDG_CONFIG_HOME": "relative", "HOME": "/home/a"], "/home/a/.config/tokenvault/key"),
        (["HOME": "/home/a"], "/home/a/.config/tokenvault/key"),
    ])
    func path(_ environment: [String: String], _ expected: String) {
        #expect(KeySource.defaultKeyfile(variable: { environment[$0] }) == FilePath(expected))
    }

    @Test("without HOME, the password database's home folder")
    func passwordDatabase() {
        let path = KeySource.defaultKeyfile(variable: { _ in nil })
        #expect(path?.string.hasSuffix("/.config/tokenvault/key") == true)
        #expect(path?.string.hasPrefix("/") == true)
    }
}
