import Foundation
import SystemPackage
import Testing
@testable import TokenVault

/// Starts `tokenvault` without waiting for it.
func launch(_ arguments: [String], environment: [String: String], stdin: String? = nil) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tokenvaultExecutable)
    process.arguments = arguments
    process.environment = environment
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    return process
}

extension Sandbox {
    /// The library's own view of this sandbox's vault.
    func store() throws -> VaultStore {
        VaultStore(location: VaultLocation(path: FilePath(vault)), keys: try KeyRing.load(keyfile: FilePath(keyfile)))
    }

    /// Writes `count` profiles straight through the library (about 0.5 KB each), so that a vault
    /// is large enough for its writes to take a while and kills to land inside them.
    func addBulkProfiles(_ count: Int) throws {
        try store().update { profiles, _ in
            for index in 0..<count { profiles["bulk\(index)"] = sampleProfile("bulk\(index)", accessLength: 300) }
        }
    }
}

@Suite("concurrent writers and crashes")
struct ConcurrencyTests {
    @Test("eight processes importing at once lose no profile")
    func eightImporters() throws {
        let sandbox = try Sandbox()
        for round in 0..<3 {
            let processes = try (0..<8).map { index in
                let name = "p\(round)-\(index)"
                let json = #"{"access_token":"\#(secretMarker)-\#(name)","refresh_token":"\#(secretMarker)-r-\#(name)","expires_in":600}"#
                return try launch(["import", name, "--token-endpoint", "https://auth.example.com/t", "--client-id", "c"],
                                  environment: sandbox.environment, stdin: json)
            }
            for process in processes {
                process.waitUntilExit()
                #expect(process.terminationStatus == 0)
            }
        }
        let names = try sandbox.profileNames()
        #expect(names.count == 24)
        #expect(Set(names) == Set((0..<3).flatMap { round in (0..<8).map { "p\(round)-\($0)" } }))
    }

    @Test("kill -9 at random instants of a write always leaves a vault that opens with the old or the new profiles")
    func killDuringWrites() throws {
        let sandbox = try Sandbox()
        // A vault large enough (about 1 MB) that writes take a while and kills land inside them.
        try sandbox.addBulkProfiles(2000)
        var expected = Set(try sandbox.profileNames())
        #expect(expected.count == 2000)
        var killedMidway = 0
        for round in 0..<40 {
            let name = "k\(round)"
            let json = #"{"access_token":"\#(secretMarker)-\#(name)","expires_in":600}"#
            let process = try launch(["import", name, "--token-endpoint", "https://auth.example.com/t", "--client-id", "c"],
                                     environment: sandbox.environment, stdin: json)
            usleep(UInt32.random(in: 2_000...60_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killedMidway += 1 }
            let names = Set(try sandbox.profileNames())
            #expect(names == expected || names == expected.union([name]), "round \(round): a torn or lost vault")
            expected = names
        }
        #expect(killedMidway > 0, "no kill landed before the writer finished; the test proved nothing")
        try sandbox.importProfile("final")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: sandbox.directory.file("vault"))
            .filter { $0.hasPrefix(".tokens.vault.tmp-") }
        #expect(leftovers.isEmpty, "stray temp files survived the next write: \(leftovers)")
        #expect(Set(try sandbox.profileNames()) == expected.union(["final"]))
    }

    @Test("imports, removals and refresh failures racing in separate processes keep every one of their changes")
    func mixedWriters() throws {
        let server = try FaultServer([FaultServer.json(400, #"{"error":"invalid_grant"}"#)])
        let sandbox = try Sandbox()
        let count = 6
        for index in 0..<count { try sandbox.importProfile("leaving\(index)") }
        for index in 0..<count {
            let json = #"{"access_token":"\#(secretMarker)-a\#(index)","refresh_token":"\#(secretMarker)-r\#(index)","expires_in":-10}"#
            try sandbox.expectSuccess(["import", "stale\(index)", "--token-endpoint", server.tokenURL, "--client-id", "c"], stdin: json)
        }
        let before = try sandbox.store().read().generation
        // Each command reads the vault, changes one profile and writes it back, all at once.
        var racers: [(command: String, process: Process)] = []
        for index in 0..<count {
            let json = #"{"access_token":"\#(secretMarker)-n\#(index)","refresh_token":"\#(secretMarker)-nr\#(index)","expires_in":600}"#
            racers.append(("import", try launch(["import", "arriving\(index)", "--token-endpoint", "https://auth.example.com/t", "--client-id", "c"],
                                                environment: sandbox.environment, stdin: json)))
            racers.append(("remove", try launch(["remove", "leaving\(index)"], environment: sandbox.environment)))
            racers.append(("token", try launch(["token", "stale\(index)"], environment: sandbox.environment)))
        }
        for (command, process) in racers {
            process.waitUntilExit()
            #expect(process.terminationReason == .exit, "\(command) died")
            if command != "token" { #expect(process.terminationStatus == 0, "\(command) failed") }
        }
        #expect(server.requests.count == count)

        let after = try sandbox.store().read()
        let names = Set(after.profiles.keys)
        #expect(names == Set((0..<count).flatMap { ["arriving\($0)", "stale\($0)"] }), "an import was lost or a removal undone")
        for index in 0..<count {
            let state = after.profiles["stale\(index)"]?.refreshState
            #expect(state?.reauthenticationRequired == true, "the refused refresh of stale\(index) was lost")
        }
        #expect(after.generation >= before + UInt64(3 * count), "fewer writes than changes")
    }
}
