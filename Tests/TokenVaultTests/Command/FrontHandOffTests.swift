import Foundation
import Testing

/// `tokenvault` is a small front that answers `tokenvault token PROFILE` on a valid token itself
/// and hands every other command line to `tokenvault-cli` beside it. What a user observes must be
/// the full command's: the same stdout, stderr and exit code, and never a `tokenvault-cli` found
/// through PATH.
@Suite("the tokenvault front hands everything but a valid token to the full command")
struct FrontHandOffTests {
    /// The full command as `swift build` put it beside the front.
    static let fullCommand = builtExecutable("tokenvault-cli")

    /// A sandbox with a valid profile and one whose token needs a refresh (from an endpoint that
    /// refuses connections, so the outcome is a failure and the same every time).
    static func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.importProfile("readonly")
        try sandbox.importProfile("expired", expiresIn: -60, endpoint: "http://127.0.0.1:9/token")
        return sandbox
    }

    /// The vault's folder as it is now, put back by the returned closure: a failed refresh
    /// records itself in the vault (and its back-off), and the rollback record beside it would
    /// take a vault copied back alone for a restored backup.
    static func keepVaultFolder(_ sandbox: Sandbox) throws -> () throws -> Void {
        let folder = URL(fileURLWithPath: sandbox.vault).deletingLastPathComponent().path
        let kept = sandbox.directory.file("vault-kept")
        try FileManager.default.copyItem(atPath: folder, toPath: kept)
        return {
            try FileManager.default.removeItem(atPath: folder)
            try FileManager.default.copyItem(atPath: kept, toPath: folder)
        }
    }

    enum Case: String, CaseIterable, CustomTestStringConvertible {
        case validToken, missingProfile, invalidProfileName, tokenNeedsRefresh, tokenWithOption
        case rejectedWithoutStdin, otherSubcommand, help, logLevelSet, shadowedKeySource, noArguments

        var testDescription: String { rawValue }

        func arguments(_ sandbox: Sandbox) -> [String] {
            switch self {
            case .validToken, .logLevelSet, .shadowedKeySource: return ["token", "readonly"]
            case .missingProfile: return ["token", "missing"]
            case .invalidProfileName: return ["token", "../readonly"]
            case .tokenNeedsRefresh: return ["token", "expired"]
            case .tokenWithOption: return ["token", "--vault", sandbox.vault, "readonly"]
            case .rejectedWithoutStdin: return ["token", "readonly", "--rejected"]
            // `list`, not `status`: status shows ages to the second, which two runs may not share.
            case .otherSubcommand: return ["list"]
            case .help: return ["--help"]
            case .noArguments: return []
            }
        }

        func environment(_ sandbox: Sandbox) throws -> [String: String?] {
            switch self {
            case .logLevelSet: return ["TOKENVAULT_LOG_LEVEL": "debug"]
            case .shadowedKeySource:
                let keyText = try String(contentsOfFile: sandbox.keyfile, encoding: .utf8).split(separator: "\n")[0]
                return ["TOKENVAULT_KEY": String(keyText)]
            default: return [:]
            }
        }
    }

    @Test("the front's stdout, stderr and exit code are the full command's", arguments: Case.allCases)
    func sameAsFullCommand(_ testCase: Case) throws {
        let sandbox = try Self.sandbox()
        var environment = sandbox.environment
        for (name, value) in try testCase.environment(sandbox) { environment[name] = value }
        let arguments = testCase.arguments(sandbox)
        let restoreVault = try Self.keepVaultFolder(sandbox)

        let front = try runProcess(tokenvaultExecutable, arguments, environment: environment)
        try restoreVault()
        let full = try runProcess(Self.fullCommand, arguments, environment: environment)

        #expect(front.status == full.status)
        #expect(front.stdout == full.stdout)
        #expect(Self.withoutBackOff(front.stderr) == Self.withoutBackOff(full.stderr))
        if testCase == .validToken {
            #expect(front.status == 0)
            #expect(front.stdout == "\(secretMarker)-access-readonly\n")
            #expect(front.stderr.isEmpty)
        }
        if testCase == .tokenNeedsRefresh { #expect(front.status == 23, "\(front.stderr)") }
    }

    /// A failed refresh names the wait left before the next try, which depends on the second
    /// each run failed in.
    static func withoutBackOff(_ text: String) -> String {
        text.replacingOccurrences(of: #"\(retry after [0-9]+s\)"#, with: "(retry after Ns)", options: .regularExpression)
    }

    @Test("a tokenvault-cli first in PATH is never run: the front runs the one in its own folder")
    func pathIsIgnored() throws {
        let sandbox = try Self.sandbox()
        let decoys = try Self.decoyFolder(sandbox)
        var environment = sandbox.environment
        environment["PATH"] = decoys + ":" + (environment["PATH"] ?? "")
        for arguments in [["list"], ["token", "expired"], ["token", "missing"]] {
            let result = try runProcess(tokenvaultExecutable, arguments, environment: environment)
            #expect(!result.output.contains("decoy"), "\(arguments)")
            #expect(result.status != 99, "\(arguments)")
        }
        #expect(try runProcess(tokenvaultExecutable, ["list"], environment: environment).stdout == "expired\nreadonly\n")
    }

    @Test("a front without tokenvault-cli beside it says so and exits 127, even with one in PATH")
    func missingFullCommand() throws {
        let sandbox = try Self.sandbox()
        let decoys = try Self.decoyFolder(sandbox)
        let alone = sandbox.directory.file("alone")
        try FileManager.default.createDirectory(atPath: alone, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: tokenvaultExecutable, toPath: alone + "/tokenvault")
        var environment = sandbox.environment
        environment["PATH"] = decoys + ":" + alone + ":" + (environment["PATH"] ?? "")

        let result = try runProcess(alone + "/tokenvault", ["list"], environment: environment)
        #expect(result.status == 127)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == """
            tokenvault: error: cannot run \(alone)/tokenvault-cli: No such file or directory
            tokenvault: hint: install tokenvault-cli in the same folder as tokenvault (scripts/install)

            """)
        // The valid token needs nothing else: the front alone serves it.
        let token = try runProcess(alone + "/tokenvault", ["token", "readonly"], environment: environment)
        #expect(token.status == 0)
        #expect(token.stdout == "\(secretMarker)-access-readonly\n")
    }

    /// A folder with a `tokenvault-cli` (and `tokenvault-cli`-like names) that print "decoy"
    /// and exit 99.
    static func decoyFolder(_ sandbox: Sandbox) throws -> String {
        let folder = sandbox.directory.file("decoys")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for name in ["tokenvault-cli", "tokenvault"] {
            let path = folder + "/" + name
            try #require(FileManager.default.createFile(
                atPath: path, contents: Data("#!/bin/sh\necho decoy; echo decoy >&2; exit 99\n".utf8),
                attributes: [.posixPermissions: 0o755]))
        }
        return folder
    }
}
