import Foundation
import SystemPackage
import Testing
@testable import TokenVault

// The checked-in vault test vectors (STYLE.md, rule 11): Vectors/vectors.json lists each vault
// file, the keyfile that goes with it and what a reader must make of it. They are written by
// Tests/Interop/make_vectors.py from SECURITY.md alone; regenerate them with that script, never by
// hand. InteropTests.swift runs the same vectors through the independent PyNaCl reader.

/// One member of an expected profile, or an expected JSON value: null, a boolean, an integer, a
/// string or an array of these.
enum ExpectedValue: Decodable, Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([ExpectedValue])

    init(_ value: String?) { self = value.map(ExpectedValue.string) ?? .null }
    init(_ value: Int64?) { self = value.map(ExpectedValue.integer) ?? .null }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Int64.self) {
            self = .integer(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else {
            self = .array(try container.decode([ExpectedValue].self))
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .integer(let number): "\(number)"
        case .string(let text): "\"\(text)\""
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ",") + "]"
        }
    }
}

/// What a reader must make of one vector: `ok` with the header's generation and key id and every
/// profile's members (secrets as 8-hex fingerprints), or a failure class of SECURITY.md, "Reading a
/// vault, and the errors", with the detail the error carries.
struct VectorExpectation: Decodable, Sendable {
    let outcome: String
    let generation: UInt64?
    let keyID: String?
    let sealedWithFirstKey: Bool?
    let profiles: [String: [String: ExpectedValue]]?
    let size: Int?
    let version: UInt8?
    let flags: UInt8?
    let available: [String]?
    let payloadVersion: Int64?
    /// The payload is exactly what tokenvault writes for these profiles.
    let canonicalPayload: Bool?

    enum CodingKeys: String, CodingKey {
        case outcome, generation, profiles, size, version, flags, available
        case keyID = "key_id"
        case sealedWithFirstKey = "sealed_with_first_key"
        case payloadVersion = "payload_version"
        case canonicalPayload = "canonical_payload"
    }

    /// The failure classes SECURITY.md names, with the exit code of `tokenvault` for each.
    static let exitStatus: [String: Int32] = [
        "ok": 0,
        "not-a-vault": 12, "truncated": 12, "bad-length": 12, "tampered": 12, "bad-padding": 12, "bad-payload": 12,
        "wrong-key": 11,
        "unsupported-version": 13, "unknown-flags": 13, "unsupported-payload-version": 13,
    ]

    /// The `VaultFormatError` this vector must produce; `badPayload`'s reason is not part of the
    /// contract, so it is left empty here and not compared.
    func formatError() throws -> VaultFormatError {
        switch outcome {
        case "not-a-vault": return .notAVault
        case "truncated": return .truncated(size: try #require(size))
        case "bad-length": return .badLength(size: try #require(size))
        case "unsupported-version": return .unsupportedVersion(try #require(version))
        case "unknown-flags": return .unknownFlags(try #require(flags))
        case "wrong-key":
            return .sealedWithOtherKey(
                try Self.keyID(hex: try #require(keyID)), available: try #require(available).map(Self.keyID(hex:))
            )
        case "tampered": return .tampered
        case "bad-padding": return .badPadding
        case "bad-payload": return .badPayload("")
        case "unsupported-payload-version": return .unsupportedPayloadVersion(try #require(payloadVersion))
        default:
            Issue.record("vectors.json names an unknown outcome '\(outcome)'")
            throw VectorManifestError.unknownOutcome(outcome)
        }
    }

    static func keyID(hex: String) throws -> KeyID {
        let digits = Array(hex.utf8)
        try #require(digits.count == 2 * KeyID.byteCount, "key id '\(hex)' is not 16 hex digits")
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            bytes.append(try #require(UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16)))
        }
        return KeyID(bytes: bytes)
    }
}

enum VectorManifestError: Error {
    case unknownOutcome(String)
}

/// One entry of vectors.json.
struct VaultVector: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let description: String
    let file: String
    let keyfile: String
    let expect: VectorExpectation

    var testDescription: String { name }

    /// The checked-in copy, inside the test bundle (not private: git does not keep modes).
    var bundledVault: String { VaultVectors.folder.appendingPathComponent(file).path }
    var bundledKeyfile: String { VaultVectors.folder.appendingPathComponent(keyfile).path }
}

enum VaultVectors {
    /// The test target declares `resources: [.copy("Vectors")]`.
    static var folder: URL {
        guard let url = Bundle.module.url(forResource: "Vectors", withExtension: nil) else {
            preconditionFailure("the test bundle has no Vectors folder")
        }
        return url
    }

    static func load() throws -> [VaultVector] {
        struct Manifest: Decodable {
            let formatVersion: Int
            let vectors: [VaultVector]
            enum CodingKeys: String, CodingKey {
                case formatVersion = "format_version"
                case vectors
            }
        }
        let data = try Data(contentsOf: folder.appendingPathComponent("vectors.json"))
        return try JSONDecoder().decode(Manifest.self, from: data).vectors
    }

    /// A vector and its keyfile copied into a fresh private folder with mode 0600, as tokenvault
    /// requires of both.
    struct PrivateCopy {
        let directory = TemporaryDirectory()
        let vault: String
        let keyfile: String

        init(_ vector: VaultVector) throws {
            vault = directory.file("vault-" + vector.file)
            keyfile = directory.file("key-" + vector.keyfile)
            for (source, destination) in [(vector.bundledVault, vault), (vector.bundledKeyfile, keyfile)] {
                try FileManager.default.copyItem(atPath: source, toPath: destination)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: destination)
            }
        }
    }

    /// The value of one expected member in a profile TokenVault opened, by the payload's member
    /// name (secrets by `<member>_fingerprint`); `nil` for a name this test does not know.
    static func member(_ name: String, of profile: TokenProfile) -> ExpectedValue? {
        let binding = profile.binding, state = profile.refreshState
        switch name {
        case "access_token_fingerprint": return ExpectedValue(profile.accessToken?.fingerprint)
        case "refresh_token_fingerprint": return ExpectedValue(profile.refreshToken?.fingerprint)
        case "client_secret_fingerprint": return ExpectedValue(binding.clientSecret?.fingerprint)
        case "token_type": return .string(profile.tokenType)
        case "scope": return ExpectedValue(profile.scope)
        case "expires_at": return ExpectedValue(profile.expiresAt)
        case "refresh_token_expires_at": return ExpectedValue(profile.refreshTokenExpiresAt)
        case "refresh_token_lifetime": return ExpectedValue(profile.refreshTokenLifetime)
        case "refresh_token_issued_at": return .integer(profile.refreshTokenIssuedAt)
        case "imported_at": return .integer(profile.importedAt)
        case "refreshed_at": return ExpectedValue(profile.refreshedAt)
        case "token_endpoint": return .string(binding.tokenEndpoint)
        case "client_id": return .string(binding.clientID)
        case "token_endpoint_auth_method": return .string(binding.authMethod.rawValue)
        case "resource": return ExpectedValue(binding.resource)
        case "issuer": return ExpectedValue(binding.issuer)
        case "reauth_required": return .bool(state.reauthenticationRequired)
        case "client_rejected": return .bool(state.clientRejected)
        case "last_error": return ExpectedValue(state.lastError)
        case "last_error_at": return ExpectedValue(state.lastErrorAt)
        case "failures": return .integer(state.consecutiveFailures)
        case "retry_after": return ExpectedValue(state.retryAfter)
        case "ambiguous_spend_at": return ExpectedValue(state.ambiguousSpendAt)
        case "rolled_back_at": return ExpectedValue(state.rolledBackAt)
        case "spent_refresh_tokens": return .array(profile.spentRefreshTokens.map { .string($0.description) })
        case "imported_refresh_token": return ExpectedValue(profile.importedRefreshToken?.description)
        default: return nil
        }
    }
}

@Suite("checked-in vault test vectors")
struct VectorTests {
    @Test("each vector opens, or is refused with its exact cause, through VaultStore.read", arguments: try VaultVectors.load())
    func libraryReadsVector(_ vector: VaultVector) throws {
        let copy = try VaultVectors.PrivateCopy(vector)
        defer { withExtendedLifetime(copy) {} }
        let store = VaultStore(
            location: VaultLocation(path: FilePath(copy.vault)), keys: try KeyRing.load(keyfile: FilePath(copy.keyfile))
        )
        let result = Result { () throws(VaultError) in try store.read() }
        let expect = vector.expect

        guard expect.outcome == "ok" else {
            let wanted = try expect.formatError()
            guard case .failure(.unreadable(let path, let cause)) = result else {
                Issue.record("\(vector.name): expected \(expect.outcome) (\(wanted)), got \(result)")
                return
            }
            #expect(path == copy.vault)
            if case .badPayload = wanted, case .badPayload = cause {
                // Any reason: the wording is not part of the format.
            } else {
                #expect(cause == wanted, "\(vector.name): \(vector.description)")
            }
            return
        }

        let snapshot = try result.get()
        #expect(snapshot.generation == (try #require(expect.generation)))
        #expect(snapshot.sealedWith.description == (try #require(expect.keyID)))
        #expect(snapshot.sealedWithCurrentKey == (try #require(expect.sealedWithFirstKey as Bool?)))
        let profiles = try #require(expect.profiles)
        #expect(snapshot.profiles.keys.sorted() == profiles.keys.sorted())
        for (name, members) in profiles {
            guard let opened = snapshot.profiles[name] else { continue }
            for (member, value) in members {
                guard let actual = VaultVectors.member(member, of: opened) else {
                    Issue.record("vectors.json: profile '\(name)' has member '\(member)' this test does not know")
                    continue
                }
                #expect(actual == value, "\(vector.name): profile '\(name)', \(member)")
            }
        }
    }

    @Test("tokenvault list exits with the documented code for each vector and lists the profiles of good ones", arguments: try VaultVectors.load())
    func commandReadsVector(_ vector: VaultVector) throws {
        let copy = try VaultVectors.PrivateCopy(vector)
        defer { withExtendedLifetime(copy) {} }
        let result = try runProcess(
            tokenvaultExecutable, ["list", "--vault", copy.vault, "--keyfile", copy.keyfile],
            environment: ["PATH": "/usr/bin:/bin", "HOME": copy.directory.path]
        )
        #expect(!result.output.contains(secretMarker), "\(vector.name): a token leaked")
        #expect(result.status == VectorExpectation.exitStatus[vector.expect.outcome], "\(vector.name): \(result.stderr)")
        if let profiles = vector.expect.profiles {
            #expect(result.stdout.split(separator: "\n").map(String.init) == profiles.keys.sorted())
        } else {
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.hasPrefix("tokenvault: error: \(copy.vault) "), "\(vector.name): \(result.stderr)")
        }
    }

    @Test("tokenvault writes the profiles of each canonical vector back to the very payload bytes it holds",
          arguments: try VaultVectors.load().filter { $0.expect.canonicalPayload == true })
    func rewritesCanonicalVector(_ vector: VaultVector) throws {
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: vector.bundledVault)))
        let copy = try VaultVectors.PrivateCopy(vector)
        defer { withExtendedLifetime(copy) {} }
        let keys = try KeyRing.load(keyfile: FilePath(copy.keyfile))
        func unpadded(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
            Array(bytes.prefix(SecretBox.unpaddedLength(of: bytes, blockSize: VaultPayload.blockSize) ?? 0))
        }
        // Before decoding, which unescapes strings in place.
        let read = try file.withUnsafeBytes { bytes in
            let opened = try VaultCodec.open(bytes, keys: keys)
            return withExtendedLifetime(opened) { unpadded(UnsafeRawBufferPointer(opened.plaintext.bytes)) }
        }
        let (_, profiles) = try openVault(file, keys: keys)
        let written = VaultPayload.encode(profiles).withUnsafeBytes(unpadded)
        #expect(!read.isEmpty)
        #expect(written == read, "\(vector.name): \(String(decoding: written, as: UTF8.self))")
    }

    @Test("the vectors include SECURITY.md's worked example and cover every failure class it names")
    func coverage() throws {
        let vectors = try VaultVectors.load()
        #expect(Set(vectors.map(\.expect.outcome)) == Set(VectorExpectation.exitStatus.keys))
        #expect(Set(vectors.map(\.name)).count == vectors.count, "vector names must be unique")
        let example = try #require(vectors.first { $0.name == "worked-example" })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: example.bundledVault))
        #expect(bytes.count == 324)
        #expect(example.expect.keyID == "c2379de0d1a7cfe4" && example.expect.generation == 1)
        let key = try String(contentsOfFile: example.bundledKeyfile, encoding: .utf8)
        #expect(key.contains("\ntokenvault-key-v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"))
        let twoKeys = try #require(vectors.first { $0.expect.outcome == "ok" && $0.expect.sealedWithFirstKey == false })
        let copy = try VaultVectors.PrivateCopy(twoKeys)
        defer { withExtendedLifetime(copy) {} }
        #expect(try KeyRing.load(keyfile: FilePath(copy.keyfile)).keys.count == 2)
    }

    @Test("every file in Vectors/ is listed in vectors.json, and every listed file is there")
    func noStrayFiles() throws {
        let vectors = try VaultVectors.load()
        let listed = Set(vectors.flatMap { [$0.file, $0.keyfile] })
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: VaultVectors.folder.path))
            .filter { !$0.hasPrefix(".") && $0 != "vectors.json" }
        #expect(present == listed)
    }
}
