import Foundation
import SystemPackage
import Testing
@testable import TokenVault

/// A payload with one profile holding every member tokenvault needs, some replaced by raw JSON
/// text, as a writer that follows SECURITY.md's grammar but not its ranges could write it.
private func payload(_ overrides: [String: String] = [:], name: String = "p") -> String {
    var members: [(String, String)] = [
        ("access_token", "\"\(secretMarker)-access-\(name)\""), ("refresh_token", "\"\(secretMarker)-refresh-\(name)\""),
        ("token_type", "\"Bearer\""), ("expires_at", "1893456000"), ("refresh_token_issued_at", "1700000000"),
        ("imported_at", "1700000000"), ("token_endpoint", "\"http://127.0.0.1:9/token\""),
        ("client_id", "\"client-\(name)\""), ("token_endpoint_auth_method", "\"none\""), ("failures", "0"),
    ]
    for (member, text) in overrides.sorted(by: { $0.key < $1.key }) {
        if let index = members.firstIndex(where: { $0.0 == member }) { members[index].1 = text } else { members.append((member, text)) }
    }
    return #"{"version":1,"profiles":{""# + name + #"":{"# + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}}}"
}

/// Seals `payload` with the sandbox's key as its vault, padded as SECURITY.md says.
private func plant(_ payload: String, generation: UInt64 = 2, in sandbox: Sandbox) throws {
    var bytes = Array(payload.utf8)
    bytes.append(0x80)
    while bytes.count % VaultPayload.blockSize != 0 { bytes.append(0) }
    let key = try KeyRing.load(keyfile: FilePath(sandbox.keyfile)).sealingKey
    let file = bytes.withUnsafeBytes { VaultCodec.seal(paddedPayload: Secret(copying: $0), key: key, generation: generation) }
    try replaceVault(of: sandbox, with: file)
}

private func replaceVault(of sandbox: Sandbox, with bytes: [UInt8]) throws {
    try FileManager.default.removeItem(atPath: sandbox.vault)
    try #require(FileManager.default.createFile(atPath: sandbox.vault, contents: Data(bytes), attributes: [.posixPermissions: 0o600]))
}

private let timeMembers = [
    "expires_at", "refresh_token_expires_at", "refresh_token_issued_at", "imported_at", "refreshed_at", "last_error_at",
    "retry_after", "ambiguous_spend_at",
]

@Suite("extreme values in vaults and token input")
struct ExtremeValueTests {
    static let outOfRange: [(String, String)] = timeMembers.flatMap { [($0, "-9223372036854775808"), ($0, "9223372036854775807")] }
        + [("expires_at", "-1"), ("retry_after", "253402300800"), ("refresh_token_lifetime", "9223372036854775807"),
           ("refresh_token_lifetime", "-1"), ("failures", "-1"), ("failures", "-9223372036854775808")]

    @Test("a vault with a time or count outside its range is refused as malformed by every command, naming profile and member",
          arguments: outOfRange)
    func outOfRangeRefused(_ member: String, _ value: String) throws {
        let sandbox = try Sandbox()
        try plant(payload([member: value]), in: sandbox)
        for command in [["status"], ["status", "--json"], ["status", "--check"], ["token", "p"], ["refresh", "p"], ["list"]] {
            let result = try sandbox.run(command)
            #expect(result.status == 12, "\(command) with \(member) = \(value): \(result.stderr)")
            #expect(result.stderr.contains("payload is malformed: profile p: \(member) "), "\(command): \(result.stderr)")
        }
    }

    @Test("refresh --force with the failure counter at its maximum fails cleanly and keeps the counter there")
    func failureCounterAtMaximum() throws {
        let sandbox = try Sandbox()
        try plant(payload(["failures": "9223372036854775807"]), in: sandbox)
        let refresh = try sandbox.run(["refresh", "--force", "p"])
        #expect(refresh.status == 23, "\(refresh.stderr)")
        let status = try sandbox.expectSuccess(["status", "--json"])
        #expect(status.stdout.contains(#""consecutive_failures":9223372036854775807"#), "\(status.stdout)")
    }

    @Test("a generation of 2^63 or more is shown as it is by every command that reads", arguments: [UInt64(1) << 63, .max])
    func largeGeneration(_ generation: UInt64) throws {
        let sandbox = try Sandbox()
        try plant(payload(), generation: generation, in: sandbox)
        #expect(try sandbox.expectSuccess(["status"]).stdout.contains("generation \(generation) "))
        #expect(try sandbox.expectSuccess(["status", "--json"]).stdout.contains(#""generation":\#(generation),"#))
        try sandbox.expectSuccess(["status", "--check"])
        try sandbox.expectSuccess(["list"])
        #expect(try sandbox.expectSuccess(["token", "p"], secretOnStdout: true).stdout == "\(secretMarker)-access-p\n")
    }

    @Test("a vault at the last generation is never written again: the write is refused and the file kept",
          arguments: [["import", "q", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"], ["remove", "p"]])
    func lastGenerationNotWrapped(_ command: [String]) throws {
        let sandbox = try Sandbox()
        try plant(payload(), generation: .max, in: sandbox)
        let before = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        let result = try sandbox.run(command, stdin: #"{"access_token":"\#(secretMarker)-access-q"}"#)
        #expect(result.status == 12, "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: error: \(sandbox.vault) is at its last generation (18446744073709551615)"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: sandbox.vault)) == before)
    }

    @Test("a refresh of a vault at the last generation is refused before the refresh token is sent",
          arguments: [["refresh", "p"], ["refresh", "--force", "p"], ["token", "p"]])
    func lastGenerationRefreshSendsNothing(_ command: [String]) throws {
        let server = try FaultServer([FaultServer.json(200, #"{"access_token":"\#(secretMarker)-new","refresh_token":"\#(secretMarker)-next","expires_in":3600}"#)])
        let sandbox = try Sandbox()
        // Expired, so that `token` and `refresh` both need a refresh.
        try plant(payload(["expires_at": "1700000100", "token_endpoint": "\"\(server.tokenURL)\""]), generation: .max, in: sandbox)
        let before = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        let result = try sandbox.run(command)
        #expect(result.status == 12, "\(command): \(result.stderr)")
        #expect(result.stderr.contains("tokenvault: error: \(sandbox.vault) is at its last generation (18446744073709551615)"), "\(result.stderr)")
        #expect(!result.output.contains(secretMarker))
        #expect(server.requests.isEmpty, "the refresh token was sent")
        #expect(try Data(contentsOf: URL(fileURLWithPath: sandbox.vault)) == before)
    }

    @Test("import refuses a lifetime of any 64-bit extreme instead of crashing",
          arguments: ["expires_in", "refresh_token_expires_in"],
          ["-9223372036854775808", "9223372036854775807", #""-9223372036854775808""#, "-9223372036854775808.5"])
    func extremeLifetime(_ member: String, _ value: String) throws {
        let sandbox = try Sandbox()
        let input = #"{"access_token":"\#(secretMarker)-access-x","\#(member)":\#(value)}"#
        let result = try sandbox.run(["import", "x", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"], stdin: input)
        #expect(result.status == 19, "\(result.stderr)")
        #expect(result.stderr.contains("\(member) is not a number of seconds within ten years"), "\(result.stderr)")
    }

    @Test("import reads expires_in only as a JSON number or a string of plain decimal digits",
          arguments: [#""0x10""#, #""+5""#, #"" 5""#, #"".5""#, #""1e3""#, #""007""#, #""3600 ""#, "1e3", "007"])
    func oddExpiresInRefused(_ value: String) throws {
        let sandbox = try Sandbox()
        let input = #"{"access_token":"\#(secretMarker)-access-x","expires_in":\#(value)}"#
        let result = try sandbox.run(["import", "x", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"], stdin: input)
        #expect(result.status == 19, "\(value): \(result.stderr)")
        #expect(try sandbox.profileNames().isEmpty)
    }

    @Test("import reads expires_in given as a number, a fraction or a string of digits", arguments: ["3600", #""3600""#, "3600.7"])
    func expiresInForms(_ value: String) throws {
        let sandbox = try Sandbox()
        let input = #"{"access_token":"\#(secretMarker)-access-x","expires_in":\#(value)}"#
        try sandbox.expectSuccess(["import", "x", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"], stdin: input)
        let status = try sandbox.expectSuccess(["status", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let profile = try #require((json["profiles"] as? [[String: Any]])?.first)
        let remaining = try #require((profile["access_token"] as? [String: Any])?["expires_in"] as? Int)
        #expect((3590...3600).contains(remaining))
    }
}

@Suite("the vault's size is checked before it is read")
struct VaultSizeTests {
    /// A sparse file of `size` bytes that starts like a vault sealed with the sandbox's key.
    static func sparseVault(_ size: Int64, in sandbox: Sandbox) throws {
        let key = try KeyRing.load(keyfile: FilePath(sandbox.keyfile)).sealingKey
        let header = VaultHeader(keyID: key.id, generation: 1, nonce: [UInt8](repeating: 0, count: SecretBox.nonceByteCount))
        try replaceVault(of: sandbox, with: header.encoded)
        try #require(truncate(sandbox.vault, off_t(size)) == 0, "truncate: \(errno)")
    }

    static let cases: [(Int64, String)] = [
        (1 << 40, "is damaged: its length (1099511627776 bytes) was cut or extended"),
        (52 + 16 + 256 * (1 << 18), "is too large for a vault: 67108932 bytes, at most 67108864"),
        (52 + 16 + 256 * (1 << 22), "is too large for a vault: 1073741892 bytes, at most 67108864"),
    ]

    @Test("a huge or sparse vault file is refused as damaged from its size alone", arguments: cases)
    func hugeFileRefused(_ size: Int64, _ message: String) throws {
        let sandbox = try Sandbox()
        try Self.sparseVault(size, in: sandbox)
        for command in [["list"], ["status"], ["token", "p"]] {
            let result = try sandbox.run(command)
            #expect(result.status == 12, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("tokenvault: error: \(sandbox.vault) \(message)"), "\(command): \(result.stderr)")
        }
    }

    @Test("the PyNaCl reader refuses a huge or sparse file from its size alone",
          arguments: zip(cases.map(\.0), ["bad-length", "too-large", "too-large"]))
    func interopHugeFileRefused(_ size: Int64, _ failure: String) throws {
        let sandbox = try Sandbox()
        try Self.sparseVault(size, in: sandbox)
        let result = try InteropReader.open(sandbox.vault, keyfile: sandbox.keyfile)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("open_vault: error: \(failure): "), "\(result.stderr)")
    }
}

@Suite("time arithmetic on library values")
struct SaturationTests {
    static let extremes: [Int64] = [.min, -1, 0, 1_800_000_000, .max]

    /// `a - b`, or the bound it passes.
    static func difference(_ a: Int64, _ b: Int64) -> Int64 {
        let (result, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b < 0 ? .max : .min) : result
    }

    @Test("access state and profile health never trap on any time an app may set", arguments: extremes, extremes)
    func accessStateSaturates(_ expiresAt: Int64, _ now: Int64) {
        for issuedAt in Self.extremes {
            var profile = TokenProfile(
                accessToken: Secret(copying: "\(secretMarker)-a"), refreshToken: Secret(copying: "\(secretMarker)-r"),
                expiresAt: expiresAt, importedAt: issuedAt,
                binding: RefreshBinding(tokenEndpoint: "https://auth.example.com/token", clientID: "c")
            )
            profile.refreshTokenExpiresAt = expiresAt
            profile.refreshState.consecutiveFailures = .max
            let state = RefreshPolicy.accessState(of: profile, now: now)
            #expect(RefreshPolicy.isExpired(profile, now: now) == (expiresAt <= now), "\(state)")
            if expiresAt <= now { #expect(state == .expired(since: Self.difference(now, expiresAt))) }
            let margin = RefreshPolicy.margin(issuedAt: issuedAt, expiresAt: expiresAt)
            #expect((0...RefreshPolicy.maximumMargin).contains(margin))
            let problems = ProfileHealth.problems(of: profile, now: now, warnWithin: .max)
            #expect(problems.contains(.refreshTokenExpiring(remaining: Self.difference(expiresAt, now))))
        }
    }

    @Test("times and counts an app sets outside the vault's ranges are written clamped, so the vault stays readable")
    func writtenClamped() throws {
        let directory = TemporaryDirectory()
        let store = VaultStore(location: VaultLocation(path: FilePath(directory.file("v/tokens.vault"))), keys: KeyRing(keys: [VaultKey.generate()]))
        try store.create()
        var profile = sampleProfile("p")
        profile.expiresAt = .max
        profile.refreshTokenExpiresAt = .min
        profile.refreshTokenLifetime = .max
        profile.refreshTokenIssuedAt = -1
        profile.importedAt = 253_402_300_800
        profile.refreshedAt = .min
        profile.refreshState.lastErrorAt = .max
        profile.refreshState.retryAfter = -5
        profile.refreshState.ambiguousSpendAt = .max
        profile.refreshState.consecutiveFailures = -3
        try store.update { profiles, _ in profiles["p"] = profile }
        let read = try #require(try store.read().profiles["p"])
        let last: Int64 = 253_402_300_799
        #expect(read.expiresAt == last && read.refreshTokenExpiresAt == 0 && read.refreshTokenLifetime == last)
        #expect(read.refreshTokenIssuedAt == 0 && read.importedAt == last && read.refreshedAt == 0)
        #expect(read.refreshState.lastErrorAt == last && read.refreshState.retryAfter == 0)
        #expect(read.refreshState.ambiguousSpendAt == last && read.refreshState.consecutiveFailures == 0)
    }

    @Test("a profile name outside the rule is refused at write, and nothing is written",
          arguments: ["", "../x", "a/b", ".hidden", "caf\u{e9}", String(repeating: "x", count: 65)])
    func badNameNotWritten(_ name: String) throws {
        let directory = TemporaryDirectory()
        let store = VaultStore(location: VaultLocation(path: FilePath(directory.file("v/tokens.vault"))), keys: KeyRing(keys: [VaultKey.generate()]))
        try store.create()
        #expect(throws: VaultError.self) { try store.update { profiles, _ in profiles[name] = sampleProfile("x") } }
        #expect(try store.read().generation == 1)
    }
}
