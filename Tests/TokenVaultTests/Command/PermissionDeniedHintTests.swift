import Foundation
import Testing

/// "Permission denied" on a vault, a lock file or a folder of another user: the hint names whose
/// it is and what that user or root can do, and never suggests taking it over.
@Suite("permission denied: whose file, and what to do")
struct PermissionDeniedHintTests {
    enum Blocker: String, CaseIterable, CustomTestStringConvertible {
        /// The vault's folder belongs to daemon and is closed to others.
        case closedFolder
        /// The writer lock file belongs to root.
        case lockFile
        /// The vault's folder belongs to root and may be read but not written (a new lock file).
        case unwritableFolder
        /// The vault's folder is the user's own, mode 000.
        case ownFolder

        var testDescription: String { rawValue }
    }

    @Test("run as nobody (as root, with setpriv; skipped otherwise): exit 17 and a hint naming the owner", arguments: Blocker.allCases)
    func denied(_ blocker: Blocker) throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            print("skipped: needs root and setpriv to run tokenvault as another user")
            return
        }
        let nobody = try #require(getpwnam("nobody")).pointee.pw_uid
        let daemon = try #require(getpwnam("daemon")).pointee.pw_uid
        let sandbox = try Sandbox()
        let folder = (sandbox.vault as NSString).deletingLastPathComponent
        let lock = sandbox.vault + ".lock"
        // nobody may pass through the sandbox and holds its own keyfile.
        #expect(chmod(sandbox.directory.path, 0o711) == 0)
        #expect(chown(sandbox.keyfile, nobody, nobody) == 0)
        let arguments: [String]
        let hint: String
        switch blocker {
        case .closedFolder:
            #expect(chown(folder, daemon, daemon) == 0)
            arguments = ["list"]
            hint = "the folder \(folder) belongs to daemon and does not let nobody in: run tokenvault as daemon ('sudo -u daemon tokenvault …'), or have daemon or root grant nobody access to it; never take over a file or folder of another user"
        case .lockFile:
            #expect(chown(folder, nobody, nobody) == 0)
            #expect(chown(sandbox.vault, nobody, nobody) == 0)
            arguments = ["import", "p", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"]
            hint = "the file \(lock) belongs to root and does not let nobody in: run tokenvault as root ('sudo -u root tokenvault …'), or have root grant nobody access to it; never take over a file or folder of another user"
        case .unwritableFolder:
            #expect(chmod(folder, 0o755) == 0)
            #expect(chown(sandbox.vault, nobody, nobody) == 0)
            #expect(unlink(lock) == 0)
            arguments = ["import", "p", "--token-endpoint", "https://auth.example.com/token", "--client-id", "c"]
            hint = "the folder \(folder) belongs to root and does not let nobody in: run tokenvault as root ('sudo -u root tokenvault …'), or have root grant nobody access to it; never take over a file or folder of another user"
        case .ownFolder:
            #expect(chown(folder, nobody, nobody) == 0 && chmod(folder, 0) == 0)
            arguments = ["list"]
            hint = "the folder \(folder) is yours but does not let you in: chmod u+rwx \(folder)"
        }
        let result = try runProcess(
            "/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", tokenvaultExecutable] + arguments,
            environment: sandbox.environment, stdin: #"{"access_token":"\#(secretMarker)-a","expires_in":3600}"#
        )
        // Root again can clean up whatever the case closed.
        #expect(chmod(folder, 0o700) == 0)
        #expect(result.status == 17, "\(result.stderr)")
        #expect(result.stderr.contains(": Permission denied\n"), "\(result.stderr)")
        #expect(result.stderr.contains("tokenvault: hint: \(hint)\n"), "\(result.stderr)")
        #expect(!result.stderr.contains("chown") && !result.stderr.contains("check the permissions"), "\(result.stderr)")
        #expect(!result.stderr.contains(secretMarker))
    }
}
