import Foundation
import SystemPackage
import Testing
@testable import TokenVault

/// A long-lived store's writers start from the snapshot it last opened or sealed when the vault
/// under the writer lock is still that version, and only then: another process's write, or a file
/// put back behind its back, is read again, and no update is lost.
@Suite("writers reuse their own snapshot only while the vault is unchanged")
struct WriterSnapshotTests {
    @Test("a store writing after its own writes opens the vault no more; after each write by another process it opens it once")
    func reuseAndInterleave() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("first")
        let store = try sandbox.store()
        for index in 0..<5 {
            try store.update { profiles, _ in profiles["own\(index)"] = sampleProfile("own\(index)") }
        }
        #expect(store.cache.openedUnderLock == 1, "the store opened the vault again after its own write")
        for round in 0..<8 {
            try sandbox.importProfile("other\(round)")
            try store.update { profiles, current in
                #expect(profiles["other\(round)"] != nil, "round \(round): the writer started from a stale snapshot")
                profiles["mine\(round)"] = sampleProfile("mine\(round)")
                _ = current
            }
            try store.update { profiles, _ in profiles["again\(round)"] = sampleProfile("again\(round)") }
        }
        #expect(store.cache.openedUnderLock == 1 + 8, "each write by another process is read once, and only that")
        let expected = Set(["first"] + (0..<5).map { "own\($0)" }
            + (0..<8).flatMap { ["other\($0)", "mine\($0)", "again\($0)"] })
        #expect(Set(try sandbox.profileNames()) == expected)
        #expect(try sandbox.store().read().generation == 2 + 5 + 8 * 3)
    }

    @Test("a long-lived store writing in a loop while other processes import loses none of either's profiles")
    func racingProcesses() throws {
        let sandbox = try Sandbox()
        let store = try sandbox.store()
        let environment = sandbox.environment
        let importers = (0..<12).map { index in
            let json = #"{"access_token":"\#(secretMarker)-x\#(index)","refresh_token":"\#(secretMarker)-rx\#(index)","expires_in":600}"#
            return try! launch(["import", "x\(index)", "--token-endpoint", "https://auth.example.com/t", "--client-id", "c"],
                               environment: environment, stdin: json)
        }
        let writes = 60
        for index in 0..<writes {
            try store.update { profiles, _ in profiles["s\(index)"] = sampleProfile("s\(index)") }
        }
        for process in importers {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        try store.update { profiles, _ in profiles["last"] = sampleProfile("last") }
        let expected = Set((0..<12).map { "x\($0)" } + (0..<writes).map { "s\($0)" } + ["last"])
        #expect(Set(try sandbox.store().read().profiles.keys) == expected)
        #expect(store.cache.openedUnderLock <= 1 + 12, "the store re-read more often than other processes wrote")
    }

    @Test("a write of more freshly built secrets than a snapshot may pin is not kept: the next write opens the vault again")
    func allocationLimit() throws {
        let sandbox = try Sandbox()
        let store = try sandbox.store()
        try store.update { profiles, _ in profiles["one"] = sampleProfile("one") }
        try store.update { profiles, _ in profiles["two"] = sampleProfile("two") }
        #expect(store.cache.openedUnderLock == 1)
        let many = VaultSnapshotCache.allocationLimit / 2 + 1
        try store.update { profiles, _ in
            for index in 0..<many { profiles["bulk\(index)"] = sampleProfile("bulk\(index)") }
        }
        try store.update { profiles, _ in profiles["three"] = sampleProfile("three") }
        #expect(store.cache.openedUnderLock == 2, "a snapshot pinning over the limit of separate allocations was kept")
        try store.update { profiles, _ in profiles["four"] = sampleProfile("four") }
        #expect(store.cache.openedUnderLock == 2, "after opening the vault again, the store's writes reuse it")
        #expect(try sandbox.store().read().profiles.count == many + 4)
    }

    @Test("a vault put back behind the store's back, in place or renamed over, is read again and its rollback noticed")
    func restoredBehindTheStore() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("kept")
        let store = try sandbox.store()
        try store.update { profiles, _ in profiles["old"] = sampleProfile("old") }
        let copy = try Data(contentsOf: URL(fileURLWithPath: sandbox.vault))
        try store.update { profiles, _ in profiles["new"] = sampleProfile("new") }
        let opened = store.cache.openedUnderLock
        // In place: same inode, same size; only the change time tells the versions apart.
        let handle = try #require(FileHandle(forWritingAtPath: sandbox.vault))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: copy)
        try handle.close()
        try store.update { profiles, _ in
            #expect(profiles["new"] == nil, "the writer used its snapshot of a version no longer on disk")
            #expect(profiles["kept"]?.refreshState.rolledBackAt != nil, "the rollback went unnoticed")
            profiles["after"] = sampleProfile("after")
        }
        #expect(store.cache.openedUnderLock == opened + 1)
        // Renamed over: a new inode holding the same older version.
        let restored = sandbox.directory.file("vault/restored")
        #expect(FileManager.default.createFile(atPath: restored, contents: copy, attributes: [.posixPermissions: 0o600]))
        #expect(rename(restored, sandbox.vault) == 0)
        try store.update { profiles, _ in
            #expect(profiles["after"] == nil, "the writer used its snapshot of a version no longer on disk")
            profiles["later"] = sampleProfile("later")
        }
        #expect(store.cache.openedUnderLock == opened + 2)
        #expect(Set(try sandbox.profileNames()) == ["kept", "old", "later"])
    }

    /// The padded payload sealed in the vault file, before any parsing.
    static func payloadOnDisk(_ sandbox: Sandbox, keys: KeyRing) throws -> Secret {
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sandbox.vault)))
        let plaintext = try file.withUnsafeBytes { bytes in try VaultCodec.open(bytes, keys: keys).plaintext }
        return Secret(buffer: plaintext, range: 0..<plaintext.count)
    }

    @Test("every write seals the bytes a fresh encoding of its profiles gives, also after another process changed a profile the store had written")
    func reusedEncodingsMatchFreshOnes() throws {
        let sandbox = try Sandbox()
        try sandbox.importProfile("shared")
        let store = try sandbox.store()
        func check(_ step: String) throws {
            let onDisk = try Self.payloadOnDisk(sandbox, keys: store.keys)
            let fresh = VaultPayload.encode(try sandbox.store().read().profiles, reusing: nil).bytes
            #expect(onDisk.isEqual(to: fresh), "after \(step), the payload differs from a fresh encoding")
        }
        try store.update { profiles, _ in
            for index in 0..<20 { profiles["p\(index)"] = sampleProfile("p\(index)") }
        }
        try check("adding profiles")
        try store.update { profiles, _ in profiles["p3"]!.accessToken = Secret(copying: "\(secretMarker)-rotated") }
        try check("one rotation")
        try store.update { profiles, _ in profiles["shared"]!.refreshState.consecutiveFailures = 1 }
        try check("a change to the imported profile")
        #expect(store.cache.openedUnderLock == 1)
        // Another process replaces the profile this store last wrote; the store then changes another.
        try sandbox.importProfile("shared", expiresIn: 60)
        let replaced = try sandbox.store().read().profiles["shared"]!
        try store.update { profiles, _ in profiles["p4"]!.accessToken = Secret(copying: "\(secretMarker)-rotated") }
        try check("another process's write")
        #expect(store.cache.openedUnderLock == 2)
        let after = try sandbox.store().read().profiles["shared"]!
        #expect(after.accessToken!.isEqual(to: replaced.accessToken!) && after.expiresAt == replaced.expiresAt,
                "the store wrote back its own older encoding of a profile another process had replaced")
        try store.update { profiles, _ in profiles["p5"] = nil }
        try check("removing a profile")
    }
}
