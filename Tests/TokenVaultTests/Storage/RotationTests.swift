import Foundation
import SystemPackage
import Testing
@testable import TokenVault

@Suite("key rotation")
struct RotationTests {
    @Test("rotate-key re-seals under the new key; the old key is then refused with the new key id")
    func roundTrip() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("readonly")
        try sandbox.importProfile("admin")
        let before = try sandbox.expectSuccess(["status", "--json"]).stdout
        let newKey = sandbox.directory.file("new-key")
        try sandbox.expectSuccess(["keygen", "--output", newKey])
        let newID = try #require(try String(contentsOfFile: newKey, encoding: .utf8).split(separator: " ").last?.split(separator: "\n").first).description

        let rotated = try sandbox.expectSuccess(["rotate-key", "--new-keyfile", newKey])
        #expect(rotated.stderr.contains("→ \(newID)"))

        let old = try sandbox.run(["list"])
        #expect(old.status == 11)
        #expect(old.stderr.contains("was sealed with a different key (id \(newID))"))
        let withNew = try sandbox.expectSuccess(["status", "--json"], environment: ["TOKENVAULT_KEYFILE": newKey])
        #expect(withNew.stdout.contains(#""sealed_with_key_id":"\#(newID)""#))
        // Same profiles, same tokens: fingerprints and times survive the re-seal.
        func profilesPart(_ json: String) -> String { String(json[json.range(of: #""profiles""#)!.lowerBound...]) }
        let stripNow = { (text: String) in text.replacingOccurrences(of: #""age_seconds":\d+"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #""expires_in":-?\d+"#, with: "", options: .regularExpression) }
        #expect(stripNow(profilesPart(withNew.stdout)) == stripNow(profilesPart(before)))
    }

    @Test("a fleet rotation: new key first and old second in every keyfile, rotate, drop the old key")
    func fleetProcedure() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("p")
        let newKey = sandbox.directory.file("new-key")
        try sandbox.expectSuccess(["keygen", "--output", newKey])
        let both = try sandbox.twoKeyKeyfile("both", first: newKey)
        // Step 1: processes run with both keys; the vault is still sealed with the old one.
        let older = try sandbox.expectSuccess(["status"], environment: ["TOKENVAULT_KEYFILE": both])
        #expect(older.stdout.contains("an older key"))
        // Step 2: rotate.
        try sandbox.expectSuccess(["rotate-key", "--new-keyfile", newKey], environment: ["TOKENVAULT_KEYFILE": both])
        #expect(!(try sandbox.expectSuccess(["status"], environment: ["TOKENVAULT_KEYFILE": both]).stdout.contains("an older key")))
        // Step 3: drop the old key.
        #expect(try sandbox.run(["list"], environment: ["TOKENVAULT_KEYFILE": newKey]).stdout == "p\n")
    }

    @Test("kill -9 at random instants of a rotation always leaves a vault that opens with exactly one of the two keys, every profile intact")
    func killDuringRotation() throws {
        let sandbox = try Sandbox()
        try sandbox.addBulkProfiles(2000)
        let keyA = sandbox.keyfile, keyB = sandbox.directory.file("key-b")
        try sandbox.expectSuccess(["keygen", "--output", keyB])
        var current = keyA
        var killedMidway = 0
        for round in 0..<30 {
            let target = current == keyA ? keyB : keyA
            let process = try launch(["rotate-key", "--new-keyfile", target],
                                     environment: sandbox.environment.merging(["TOKENVAULT_KEYFILE": current]) { $1 })
            usleep(UInt32.random(in: 2_000...80_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killedMidway += 1 }
            let withCurrent = try sandbox.run(["list"], environment: ["TOKENVAULT_KEYFILE": current])
            let withTarget = try sandbox.run(["list"], environment: ["TOKENVAULT_KEYFILE": target])
            #expect((withCurrent.status == 0) != (withTarget.status == 0), "round \(round): opens with \(withCurrent.status == 0 ? "both" : "neither") key")
            let opened = withCurrent.status == 0 ? withCurrent : withTarget
            #expect(opened.stdout.split(separator: "\n").count == 2000, "round \(round): profiles lost")
            if withTarget.status == 0 { current = target }
        }
        #expect(killedMidway > 0, "no kill landed before the rotation finished; the test proved nothing")
    }
}

@Suite("key rotation racing a refresh", .serialized)
struct RotationRaceTests {
    @Test("a refresh in flight while the key rotates lands under the new key and is never lost")
    func refreshDuringRotation() throws {
        let server = try OAuthServer()
        let sandbox = try Sandbox()
        let newKey = sandbox.directory.file("new-key")
        try sandbox.expectSuccess(["keygen", "--output", newKey])
        let both = try sandbox.twoKeyKeyfile("both", first: newKey)
        let seeded = try server.seedJSON(accessLifetime: -5)
        try sandbox.expectSuccess(["import", "p", "--token-endpoint", server.tokenEndpoint, "--resource", server.resource], stdin: seeded)
        try server.setDelay(milliseconds: 1500)
        try server.resetStats()

        // The refresher runs with the fleet keyfile (new first, old second) while the operator rotates.
        let refresher = Process()
        refresher.executableURL = URL(fileURLWithPath: tokenvaultExecutable)
        refresher.arguments = ["token", "p"]
        refresher.environment = sandbox.environment.merging(["TOKENVAULT_KEYFILE": both]) { $1 }
        let out = Pipe()
        refresher.standardOutput = out
        refresher.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try refresher.run()
        usleep(500_000)
        let rotation = try sandbox.run(["rotate-key", "--new-keyfile", newKey])
        #expect(rotation.status == 0, "\(rotation.stderr)")
        let token = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        refresher.waitUntilExit()
        #expect(refresher.terminationStatus == 0)
        try server.setDelay(milliseconds: 0)

        #expect(try sandbox.run(["list"]).status == 11, "the old key alone must no longer open the vault")
        let served = try sandbox.run(["token", "p"], environment: ["TOKENVAULT_KEYFILE": newKey], secretOnStdout: true)
        #expect(served.status == 0)
        #expect(served.stdout == token, "the refreshed token was lost in the rotation")
        #expect(try server.stats()["refresh_grants_ok"] as? Int == 1)
        // The vault holds the live refresh token: a forced refresh is accepted, not a replay.
        let forced = try sandbox.run(["refresh", "p", "--force"], environment: ["TOKENVAULT_KEYFILE": newKey])
        #expect(forced.status == 0, "\(forced.stderr)")
    }
}
