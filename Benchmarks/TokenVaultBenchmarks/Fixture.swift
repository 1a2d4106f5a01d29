import Synchronization
import SystemPackage
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// One profile's contents, as plain values: the bench made them up, so it may hold them in
/// Strings (the library never does).
struct ProfileText {
    static let accessTokenLength = 512
    static let refreshTokenLength = 64

    let name: String
    var accessToken: String
    var refreshToken: String
    var expiresAt: Int64
    let endpoint: String
    let clientID: String
    let scope = "read write"
    let resource = "https://mcp.example.com/mcp"

    init(name: String, expiresAt: Int64, endpoint: String = "https://auth.example.com/oauth/token") {
        self.name = name
        accessToken = randomToken(Self.accessTokenLength)
        refreshToken = randomToken(Self.refreshTokenLength)
        self.expiresAt = expiresAt
        self.endpoint = endpoint
        clientID = randomToken(36)
    }

    func profile(importedAt: Int64) -> TokenProfile {
        TokenProfile(
            accessToken: Secret(copying: accessToken), refreshToken: Secret(copying: refreshToken),
            scope: scope, expiresAt: expiresAt, importedAt: importedAt,
            binding: RefreshBinding(tokenEndpoint: endpoint, clientID: clientID, resource: resource)
        )
    }

    /// The shape the old app kept in `.mcp_tokens_NAME.json`, in plaintext.
    var plaintextJSON: String {
        #"{"access_token":"\#(accessToken)","refresh_token":"\#(refreshToken)","token_type":"Bearer","#
            + #""scope":"\#(scope)","expires_at":\#(expiresAt),"token_endpoint":"\#(endpoint)","#
            + #""client_id":"\#(clientID)","resource":"\#(resource)"}"#
    }
}

private let tokenAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

/// Made-up tokens: random-looking, unique, cheap (SplitMix64 from one system-random seed; these
/// guard nothing).
func randomToken(_ length: Int) -> String {
    var bytes = [UInt8](repeating: 0, count: length)
    tokenState.withLock { state in
        for index in bytes.indices {
            if index % 10 == 0 {
                state.value &+= 0x9E37_79B9_7F4A_7C15
                var mixed = state.value
                mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
                mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
                state.bits = mixed ^ (mixed >> 31)
            }
            bytes[index] = tokenAlphabet[Int(state.bits & 63)]
            state.bits >>= 6
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

private let tokenState = Mutex((value: UInt64.random(in: .min ... .max), bits: UInt64(0)))

/// A private temp folder with a keyfile and a vault of `count` profiles (`p0`, `p1`, …), made
/// through the library's public API; removed when the value goes away.
final class Fixture {
    let folder: String
    let keyfile: String
    let vaultPath: String
    let store: VaultStore
    /// The PostgreSQL vault's address, when the vault is a row there instead of a file.
    let postgres: String?
    private(set) var texts: [ProfileText]

    init(profiles count: Int, in parent: String, endpoint: String? = nil, expired: Bool = false, postgres: String? = nil) throws {
        var template = Array("\(parent)/tokenvault-bench-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw BenchError("mkdtemp in \(parent) failed")
        }
        folder = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        keyfile = folder + "/key"
        vaultPath = folder + "/vault/tokens.vault"
        let key = VaultKey.generate()
        try KeyFile.create(at: FilePath(keyfile), with: key)
        self.postgres = postgres
        if let postgres {
            store = VaultStore(address: .postgres(try PostgresAddress(postgres)), keys: KeyRing(keys: [key]))
        } else {
            store = VaultStore(location: VaultLocation(path: FilePath(vaultPath)), keys: KeyRing(keys: [key]))
        }
        try store.create()
        let now = WallClock.now
        let expiresAt = expired ? now - 60 : now + 3600
        texts = (0..<count).map { index in
            endpoint.map { ProfileText(name: "p\(index)", expiresAt: expiresAt, endpoint: $0) }
                ?? ProfileText(name: "p\(index)", expiresAt: expiresAt)
        }
        // In batches: each new profile's tokens sit in guarded memory of their own (three
        // mappings each) until sealed, and a process has at most vm.max_map_count (65,530) of
        // them. Profiles read back from the vault share the opened box's one buffer.
        for start in stride(from: 0, to: count, by: 1000) {
            let batch = texts[start..<min(start + 1000, count)]
            try store.update { profiles, _ in
                for text in batch { profiles[text.name] = text.profile(importedAt: now) }
            }
        }
    }

    deinit {
        _ = try? run("/bin/rm", ["-rf", folder])
    }

    var environment: [String: String] { environment(host: nil) }

    /// The environment of a process on "host" `host` (its own HOME and, for PostgreSQL, its own
    /// application name; the password from the bench's PGPASSFILE).
    func environment(host: Int?) -> [String: String] {
        var environment = ["PATH": "/usr/bin:/bin", "HOME": folder, "TOKENVAULT_PATH": postgres ?? vaultPath, "TOKENVAULT_KEYFILE": keyfile]
        if let host {
            environment["HOME"] = folder + "/host\(host)"
            mkdir(folder + "/host\(host)", 0o700)
        }
        if postgres != nil {
            environment["PGPASSFILE"] = getenv("PGPASSFILE").map { String(cString: $0) }
            environment["PGAPPNAME"] = "tokenvault-bench-host\(host ?? 0)"
        }
        return environment
    }

    var vaultSize: Int {
        var status = stat()
        return lstat(vaultPath, &status) == 0 ? Int(status.st_size) : 0
    }

    /// Replaces profile `name` with new tokens, as a refresh would, and seals (the timed re-seal).
    func rotate(_ name: String, accessToken: Secret, refreshToken: Secret) throws {
        let now = WallClock.now
        try store.update { profiles, _ in
            guard var profile = profiles[name] else { throw BenchError("no profile \(name)") }
            profile.accessToken = accessToken
            profile.refreshToken = refreshToken
            profile.expiresAt = now + 3600
            profile.refreshedAt = now
            profile.refreshTokenIssuedAt = now
            profiles[name] = profile
        }
    }

    /// Puts profile `name` back to an expired access token and the refresh token `refreshToken`.
    func expire(_ name: String, refreshToken: String) throws {
        let now = WallClock.now
        try store.update { profiles, _ in
            guard var profile = profiles[name] else { throw BenchError("no profile \(name)") }
            profile.expiresAt = now - 60
            profile.refreshToken = Secret(copying: refreshToken)
            profile.refreshState = RefreshState()
            profiles[name] = profile
        }
    }

    /// The same profiles as one plaintext JSON file, the way apps without a vault keep them.
    func writePlaintextJSON(to path: String) throws {
        var json = #"{"version":1,"profiles":{"#
        for (index, text) in texts.enumerated() {
            if index > 0 { json += "," }
            json += "\"\(text.name)\":" + text.plaintextJSON
        }
        json += "}}"
        try writeFile(path, json)
    }
}

func writeFile(_ path: String, _ text: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw BenchError("cannot create \(path)") }
    defer { close(descriptor) }
    var text = text
    try text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            guard written > 0 else { throw BenchError("cannot write \(path)") }
            offset += written
        }
    }
}
