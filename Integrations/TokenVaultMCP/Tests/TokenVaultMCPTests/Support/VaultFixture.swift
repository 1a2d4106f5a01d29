import Foundation
import Logging
import Testing
import TokenVault
import TokenVaultMCP

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A sandboxed vault with one profile imported from tokens the real authorization server seeded,
/// and a `TokenVaultAuthorizer` over it as an app would make one.
struct VaultFixture {
    let server: OAuthServer
    let sandbox: Sandbox
    let profile: String
    let seeded: [String: Any]
    let authorizer: TokenVaultAuthorizer

    init(
        server: OAuthServer, profile: String = "readonly", accessLifetime: Int = 3600, resource: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: tokenvaultExecutable),
            "no tokenvault at \(tokenvaultExecutable): run scripts/test, which builds the root package and names its build in TOKENVAULT_TEST_EXECUTABLE",
            sourceLocation: sourceLocation
        )
        self.server = server
        self.profile = profile
        sandbox = try Sandbox()
        seeded = try server.seed(accessLifetime: accessLifetime)
        try sandbox.expectSuccess(
            ["import", profile, "--token-endpoint", server.tokenEndpoint, "--client-id", "tokenvault-test",
             "--resource", resource ?? server.resource],
            stdin: String(decoding: try JSONSerialization.data(withJSONObject: seeded), as: UTF8.self),
            sourceLocation: sourceLocation
        )
        try server.resetStats()
        authorizer = try TokenVaultAuthorizer(profile: profile, vault: sandbox.vault, keyfile: sandbox.keyfile)
    }

    var accessToken: String { seeded["access_token"] as! String }
    var refreshToken: String { seeded["refresh_token"] as! String }

    /// Refresh grants the authorization server has answered since the import.
    func refreshes() throws -> Int { try server.stats()["refresh_grants_ok"] as? Int ?? -1 }
    /// Refresh grants the authorization server has refused since the import.
    func failedRefreshes() throws -> Int { try server.stats()["refresh_grants_failed"] as? Int ?? -1 }

    /// What `tokenvault status PROFILE --json` says of the profile.
    func status() throws -> [String: Any] {
        let result = try sandbox.expectSuccess(["status", profile, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        return (object["profiles"] as! [[String: Any]])[0]
    }

    /// Makes the authorization server treat `token` as expired (its introspection answers
    /// inactive) while the vault still holds it as valid: the server stops accepting it.
    func expireAtServer(_ token: String) throws {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["access_token": token]), as: UTF8.self)
        let result = try runProcess(
            "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json",
                              "--data-binary", "@-", server.issuer + "/test/expire"],
            environment: [:], stdin: body)
        try #require(result.stdout == "200", "/test/expire answered \(result.stdout) \(result.stderr)")
    }
}

/// The token in an `Authorization` header value.
func bearerToken(_ header: String?) -> String? {
    guard let header, header.hasPrefix("Bearer ") else { return nil }
    return String(header.dropFirst("Bearer ".count))
}

/// A session for the authorizer's calls, which TokenVault never uses (it refreshes with libcurl).
let unusedSession = URLSession(configuration: .ephemeral)
