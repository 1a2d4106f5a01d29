import Testing
@testable import TokenVault

func sampleProfile(_ name: String, accessLength: Int = 40) -> TokenProfile {
    let access = "\(secretMarker)-a-\(name)-" + String(repeating: "x", count: accessLength)
    var profile = TokenProfile(
        accessToken: Secret(copying: access), refreshToken: Secret(copying: "\(secretMarker)-r-\(name)"),
        tokenType: "Bearer", scope: "read write", expiresAt: 1_800_000_000, importedAt: 1_700_000_000,
        binding: RefreshBinding(
            tokenEndpoint: "https://auth.example.com/oauth/token", clientID: "client-\(name)",
            clientSecret: Secret(copying: "\(secretMarker)-cs"), resource: "https://mcp.example.com/mcp",
            issuer: "https://auth.example.com"
        )
    )
    profile.refreshedAt = 1_750_000_000
    profile.refreshTokenLifetime = 2_592_000
    profile.refreshTokenExpiresAt = 1_752_592_000
    profile.refreshState.lastError = "temporarily_unavailable: \"quoted\"\nnew line"
    profile.refreshState.consecutiveFailures = 2
    profile.refreshState.reauthenticationRequired = true
    return profile
}

func sealed(_ profiles: [String: TokenProfile], key: VaultKey, generation: UInt64 = 7) -> [UInt8] {
    VaultCodec.seal(paddedPayload: VaultPayload.encode(profiles), key: key, generation: generation)
}

func openVault(_ file: [UInt8], keys: KeyRing) throws(VaultFormatError) -> (VaultCodec.Opened, [String: TokenProfile]) {
    var result: Result<VaultCodec.Opened, VaultFormatError>!
    file.withUnsafeBytes { bytes in result = Result { () throws(VaultFormatError) in try VaultCodec.open(bytes, keys: keys) } }
    let opened = try result.get()
    return (opened, try VaultPayload.decode(opened.plaintext))
}

func formatError(_ file: [UInt8], keys: KeyRing) -> VaultFormatError? {
    do {
        _ = try openVault(file, keys: keys)
        return nil
    } catch {
        return error
    }
}

@Suite("vault file format")
struct VaultFormatTests {
    let key = VaultKey.generate()
    var keys: KeyRing { KeyRing(keys: [key]) }

    @Test("a sealed vault opens to the same profiles, every field intact")
    func roundTrip() throws {
        let original = ["readonly": sampleProfile("readonly"), "admin": sampleProfile("admin")]
        let (opened, profiles) = try openVault(sealed(original, key: key, generation: 42), keys: keys)
        #expect(opened.header.generation == 42)
        #expect(opened.header.keyID == key.id)
        #expect(Set(profiles.keys) == ["readonly", "admin"])
        let before = original["admin"]!, after = profiles["admin"]!
        #expect(after.accessToken!.isEqual(to: before.accessToken!))
        #expect(after.refreshToken!.isEqual(to: before.refreshToken!))
        #expect(after.binding.clientSecret!.isEqual(to: before.binding.clientSecret!))
        #expect(after.tokenType == "Bearer" && after.scope == "read write")
        #expect(after.expiresAt == 1_800_000_000 && after.importedAt == 1_700_000_000 && after.refreshedAt == 1_750_000_000)
        #expect(after.refreshTokenLifetime == 2_592_000 && after.refreshTokenExpiresAt == 1_752_592_000)
        #expect(after.binding.tokenEndpoint == before.binding.tokenEndpoint)
        #expect(after.binding.clientID == "client-admin" && after.binding.authMethod == .clientSecretBasic)
        #expect(after.binding.resource == "https://mcp.example.com/mcp" && after.binding.issuer == "https://auth.example.com")
        #expect(after.refreshState == before.refreshState)
    }

    @Test("the payload is padded to 256-byte blocks: 256 different token lengths give at most two file sizes")
    func paddingHidesLengths() {
        let sizes = Set((0..<256).map { sealed(["p": sampleProfile("p", accessLength: $0)], key: key).count })
        #expect(sizes.count <= 2)
        for size in sizes {
            #expect((size - VaultHeader.byteCount - SecretBox.tagByteCount) % 256 == 0)
        }
        let file = sealed(["p": sampleProfile("p")], key: key)
        #expect(Array(file[0..<10]) == Array("tokenvault".utf8) && file[10] == 1 && file[11] == 0)
    }

    @Test("two seals of the same profiles use different nonces and differ everywhere after the header's key id")
    func freshNonce() {
        let profiles = ["p": sampleProfile("p")]
        let first = sealed(profiles, key: key), second = sealed(profiles, key: key)
        #expect(Array(first[28..<52]) != Array(second[28..<52]))
        #expect(Array(first[52...]) != Array(second[52...]))
    }

    @Test("every single-byte change anywhere in the file is refused, with the cause its position implies")
    func everyByteFlipRefused() {
        let file = sealed(["readonly": sampleProfile("readonly")], key: key)
        for offset in file.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = file
                damaged[offset] ^= mask
                let error = formatError(damaged, keys: keys)
                switch offset {
                case 0..<10: #expect(error == .notAVault, "offset \(offset)")
                case 10: #expect(error == .unsupportedVersion(1 ^ mask), "offset \(offset)")
                case 11: #expect(error == .unknownFlags(mask), "offset \(offset)")
                case 12..<20:
                    guard case .sealedWithOtherKey? = error else {
                        Issue.record("offset \(offset): \(String(describing: error))")
                        continue
                    }
                default: #expect(error == .tampered, "offset \(offset) mask \(mask)")
                }
            }
        }
    }

    @Test("a truncated or extended file is refused as damaged, never opened")
    func truncation() {
        let file = sealed(["p": sampleProfile("p")], key: key)
        for length in 0..<file.count {
            let error = formatError(Array(file[0..<length]), keys: keys)
            #expect(error != nil, "length \(length) opened")
            if length >= 12 {
                #expect(error == .truncated(size: length) || error == .badLength(size: length) || (length >= 324 && error == .tampered), "length \(length): \(String(describing: error))")
            }
        }
        #expect(formatError(file + [0], keys: keys) == .badLength(size: file.count + 1))
        #expect(formatError(file + [UInt8](repeating: 0, count: 256), keys: keys) == .tampered)
    }

    @Test("a wrong key is told apart from tampering and names the key id that sealed the vault")
    func wrongKeyVersusTamper() {
        let file = sealed(["p": sampleProfile("p")], key: key)
        let other = VaultKey.generate()
        #expect(formatError(file, keys: KeyRing(keys: [other])) == .sealedWithOtherKey(key.id, available: [other.id]))
        var tampered = file
        tampered[file.count - 1] ^= 1
        #expect(formatError(tampered, keys: keys) == .tampered)
    }

    @Test("a key ring opens a vault sealed with any of its keys, and seals with the first")
    func keyRingOrder() throws {
        let old = VaultKey.generate()
        let ring = KeyRing(keys: [key, old])
        let (opened, _) = try openVault(sealed(["p": sampleProfile("p")], key: old), keys: ring)
        #expect(opened.key.id == old.id)
        #expect(ring.sealingKey.id == key.id)
    }

    @Test("a header with a future version is reported as unsupported before any key is tried")
    func futureVersion() {
        var file = sealed(["p": sampleProfile("p")], key: key)
        file[10] = 2
        #expect(formatError(file, keys: KeyRing(keys: [VaultKey.generate()])) == .unsupportedVersion(2))
    }
}

@Suite("payload JSON reader")
struct JSONReaderTests {
    func parse(_ text: String) throws -> (JSONDocument, JSONValue) {
        let secret = Secret(copying: text)
        let buffer = secret.withUnsafeBytes { SecureBuffer(copying: $0) }
        let document = try JSONDocument(parsing: buffer, length: buffer.count)
        return (document, document.root)
    }

    @Test("escapes, \\u sequences and surrogate pairs are decoded in place")
    func escapes() throws {
        let (document, root) = try parse(#"{"k":"a\"b\\c\/d\n\u00e9\ud83d\ude00"}"#)
        guard case .object(let members) = root, case .string(let range) = members[0].value else {
            Issue.record("not an object with a string")
            return
        }
        #expect(document.string(range) == "a\"b\\c/d\n\u{e9}\u{1F600}")
    }

    @Test("an integer is taken exactly from the decimal text; a string only when written like a JSON integer",
          arguments: [
              (#"3600"#, 3600), (#""3600""#, 3600), (#"3600.9"#, 3600), (#"-3600.9"#, -3600), (#"-0.5"#, 0),
              (#""-5""#, -5), (#"9223372036854775807"#, .max), (#"-9223372036854775808"#, .min),
              (#"9007199254740993.5"#, 9_007_199_254_740_993), (#"9223372036854775807.9"#, .max),
              (#"9223372036854775808"#, nil), (#"-9223372036854775809"#, nil), (#"3.6e3"#, nil), (#"1E0"#, nil),
              (#""0x10""#, nil), (#""+5""#, nil), (#"" 5""#, nil), (#"".5""#, nil), (#""1e3""#, nil), (#""007""#, nil),
              (#""3600.0""#, nil), (#""""#, nil), (#""-""#, nil), (#"true"#, nil), (#"null"#, nil),
          ] as [(String, Int64?)])
    func integers(_ literal: String, _ expected: Int64?) throws {
        let (document, root) = try parse(#"{"expires_in":"# + literal + "}")
        guard case .object(let members) = root else { Issue.record("not an object"); return }
        #expect(document.integer(members[0].value) == expected)
    }

    @Test("malformed JSON is refused", arguments: [
        "", "{", #"{"a":}"#, #"{"a" 1}"#, #"{"a":1,}"#, "[1 2]", #""\x""#, #""\ud800""#, "tru", "{} x",
        "007", "-01", "00", "[01.5]", "+1", ".5", "1.", "1e", "-",
        #""a"# + "\u{1}" + #"""#, String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func malformed(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try parse(text) }
    }
}
