import Foundation
import Testing

/// README's "Running as a service user" setup, end to end, with `nobody` as the service user:
/// the key and the vault are the service user's own, the unit's credential is a 0400 copy, and
/// anyone else (root included) is told whose files they are.
@Suite("service user")
struct ServiceUserTests {
    @Test("the service user's key, vault and credential copy work; root is refused with the owner's name (as root; skipped otherwise)")
    func serviceUser() throws {
        guard geteuid() == 0 else { return }
        let nobody = try #require(getpwnam("nobody")).pointee
        let (uid, gid) = (nobody.pw_uid, nobody.pw_gid)
        let root = TemporaryDirectory()
        #expect(chmod(root.path, 0o711) == 0)
        for folder in ["etc", "state", "state/app", "credentials"] {
            try FileManager.default.createDirectory(atPath: root.file(folder), withIntermediateDirectories: false)
            #expect(chmod(root.file(folder), 0o755) == 0)
        }
        // The app's state folder is its own (StateDirectory=); the key is the app's, 0600.
        #expect(chown(root.file("state/app"), uid, gid) == 0)
        #expect(chmod(root.file("state/app"), 0o700) == 0)
        let key = root.file("etc/app.key")
        let vault = root.file("state/app/tokenvault/tokens.vault")
        let environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "TOKENVAULT_KEYFILE": key, "TOKENVAULT_PATH": vault]
        #expect(try runProcess(tokenvaultExecutable, ["keygen", "--output", key], environment: environment).status == 0)
        #expect(chown(key, uid, gid) == 0)

        func asApp(_ arguments: [String], stdin: String? = nil, keyfile: String? = nil) throws -> RunResult {
            var environment = environment
            if let keyfile { environment["TOKENVAULT_KEYFILE"] = keyfile }
            return try runProcess("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", tokenvaultExecutable] + arguments,
                                  environment: environment, stdin: stdin)
        }
        #expect(try asApp(["init"]).status == 0)
        let imported = try asApp(["import", "p", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"],
                                 stdin: #"{"access_token":"\#(secretMarker)-service","refresh_token":"\#(secretMarker)-service-rt","expires_in":3600}"#)
        #expect(imported.status == 0, "\(imported.output)")
        var status = stat()
        #expect(stat(vault, &status) == 0 && status.st_uid == uid && status.st_mode & 0o777 == 0o600)
        #expect(stat(root.file("state/app/tokenvault"), &status) == 0 && status.st_uid == uid && status.st_mode & 0o777 == 0o700)

        // LoadCredential=: a read-only 0400 copy owned by the service user.
        let credential = root.file("credentials/tokenvault-key")
        try FileManager.default.copyItem(atPath: key, toPath: credential)
        #expect(chown(credential, uid, gid) == 0 && chmod(credential, 0o400) == 0)
        let token = try asApp(["token", "p"], keyfile: credential)
        #expect(token.status == 0, "\(token.output)")
        #expect(token.stdout == "\(secretMarker)-service\n")
        let audit = try asApp(["audit"], keyfile: credential)
        #expect(audit.stdout == "audit of \(vault): nothing found\n", "\(audit.output)")

        // Root is not the service user: refused, and told whose files they are and how to act as them.
        let refused = try runProcess(tokenvaultExecutable, ["status"], environment: environment)
        #expect(refused.status == 14)
        #expect(refused.stderr.contains("belongs to user 'nobody' (uid \(uid)), not to you (root)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("sudo -u nobody env TOKENVAULT_KEYFILE=… TOKENVAULT_PATH=… tokenvault"), "\(refused.stderr)")
    }
}
