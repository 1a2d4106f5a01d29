import Foundation
import SystemPackage
import Testing
@testable import TokenVault

/// One way from the environment to a configured vault (VaultConfiguration), for the command and
/// for apps that link the library.
@Suite("configuration")
struct ConfigurationTests {
    @Test("TOKENVAULT_HTTP_TIMEOUT bounds a token request; unset keeps the defaults", arguments: [
        ("30", 30.0, 10.0), ("5", 5.0, 5.0), ("600", 600.0, 10.0),
    ])
    func httpTimeout(_ text: String, _ total: Double, _ connect: Double) throws {
        let limits = try VaultConfiguration.limits(fromEnvironmentValue: text)
        #expect(limits.totalTimeout == total)
        #expect(limits.connectTimeout == connect)
        let defaults = try VaultConfiguration.limits(fromEnvironmentValue: nil)
        #expect(defaults.totalTimeout == HTTPLimits().totalTimeout)
    }

    @Test("a TOKENVAULT_HTTP_TIMEOUT that is not 1 to 600 seconds is refused", arguments: ["0", "601", "abc", "", "nan", "inf", "-5"])
    func badHTTPTimeout(_ text: String) {
        #expect(throws: ConfigurationError.badHTTPTimeout(text)) { try VaultConfiguration.limits(fromEnvironmentValue: text) }
    }

    @Test("an app's TokenManager takes the vault, the keys and TOKENVAULT_HTTP_TIMEOUT from the environment as the command does")
    func tokenManagerFromEnvironment() throws {
        let sandbox = try Sandbox()
        // Only this test reads these variables in this process; the command's tests pass an
        // environment of their own to every child.
        setenv("TOKENVAULT_HTTP_TIMEOUT", "7", 1)
        defer { unsetenv("TOKENVAULT_HTTP_TIMEOUT") }
        let manager = try TokenManager(vault: sandbox.vault, keyfile: sandbox.keyfile)
        #expect(manager.engine.limits.totalTimeout == 7)
        #expect(manager.engine.limits.connectTimeout == 7)
        #expect(manager.store.address.fileLocation?.path == FilePath(sandbox.vault))
        #expect(try manager.store.read().profiles.isEmpty)
    }

    @Test("rotate-key logs only in the command's voice")
    func rotateKeyLogsInTheCommandsVoice() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let newKey = sandbox.directory.file("new.key")
        try sandbox.expectSuccess(["keygen", "--output", newKey])
        let result = try sandbox.expectSuccess(["rotate-key", "--new-keyfile", newKey])
        let stray = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("tokenvault: ") }
        #expect(stray.isEmpty, "lines not in the command's voice: \(stray)")
    }
}
