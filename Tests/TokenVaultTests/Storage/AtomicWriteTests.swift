import Foundation
import Testing
@testable import TokenVault

private let endpoint = ["--token-endpoint", "https://auth.example.com/t", "--client-id", "c"]

private func tokenJSON(_ name: String) -> String {
    #"{"access_token":"\#(secretMarker)-\#(name)","refresh_token":"\#(secretMarker)-r-\#(name)","expires_in":600}"#
}

extension FolderWatch.Change {
    /// The name of a writer's temp file this change created, if it did.
    func createdTemporaryFile(of location: VaultLocation) -> String? {
        guard case .created(let name) = self, location.isTemporaryFile(name) else { return nil }
        return name
    }

    /// Whether this change renamed a writer's temp file away (over the vault).
    func renamedTemporaryFile(of location: VaultLocation) -> Bool {
        guard case .renamedAway(let name) = self else { return false }
        return location.isTemporaryFile(name)
    }
}

/// Runs `body` on a thread of its own; the function returned waits until `body` has returned.
private func onOwnThread(_ body: @escaping @Sendable () -> Void) -> () -> Void {
    let finished = DispatchSemaphore(value: 0)
    Thread {
        body()
        finished.signal()
    }.start()
    return { finished.wait() }
}

/// Watched from outside, through the real `tokenvault` and the library's own read: the vault on
/// disk is always a whole version, old or new, whenever a writer dies and whenever a reader looks.
@Suite("atomic vault writes, seen from outside")
struct AtomicWriteTests {
    @Test("kill -9 at varied instants between a writer's temp file and its rename leaves a vault with the old or the new profiles")
    func killInsideWrites() throws {
        let sandbox = try Sandbox()
        try sandbox.addBulkProfiles(800)
        let store = try sandbox.store()
        let location = try #require(store.address.fileLocation)
        let folder = location.directory.string
        let watch = try FolderWatch(folder)
        var expected = Set(try store.read().profiles.keys)
        /// Waits until `process` creates a writer's temp file; `false` when it exits without one.
        func createsTemporaryFile(_ process: Process) -> Bool {
            let deadline = MonotonicClock.now + 60
            while MonotonicClock.now < deadline {
                let running = process.isRunning
                if watch.wait(timeout: 0.05, for: { $0.createdTemporaryFile(of: location) != nil }) != nil { return true }
                if !running { return false }
            }
            return false
        }

        // How long this machine takes from a writer's temp file to its rename, measured on
        // writes left to finish; the kills below spread over that span.
        var spans: [Double] = []
        for round in 0..<3 {
            watch.drain()
            let name = "whole\(round)"
            let process = try launch(["import", name] + endpoint, environment: sandbox.environment, stdin: tokenJSON(name))
            let created = createsTemporaryFile(process)
            let start = MonotonicClock.now
            let renamed = watch.wait(timeout: 60) { $0.renamedTemporaryFile(of: location) }
            let span = MonotonicClock.now - start
            process.waitUntilExit()
            try #require(created, "import made no temp file beside the vault")
            try #require(renamed != nil, "import did not rename its temp file over the vault")
            #expect(process.terminationStatus == 0)
            spans.append(span)
            expected.insert(name)
        }
        let span = spans.sorted()[1]

        // Kills spread from the temp file's creation to a little past the usual rename, until
        // enough of them have landed inside a write (a loaded machine stretches the delays).
        let delays = [0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2].map { $0 * span }
        let wanted = 4
        var killedInsideWrite = 0
        var round = 0
        while round < 60 && (killedInsideWrite < wanted || round < 2 * delays.count) {
            defer { round += 1 }
            watch.drain()
            let name = "k\(round)"
            let process = try launch(["import", name] + endpoint, environment: sandbox.environment, stdin: tokenJSON(name))
            // The clock starts when the temp file appears, not when the process starts.
            guard createsTemporaryFile(process) else {
                process.waitUntilExit()
                Issue.record("round \(round): import made no temp file beside the vault (exit \(process.terminationStatus))")
                return
            }
            MonotonicClock.sleep(seconds: delays[round % delays.count])
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let strays = try FileManager.default.contentsOfDirectory(atPath: folder).filter(location.isTemporaryFile)
            if process.terminationReason == .uncaughtSignal && !strays.isEmpty { killedInsideWrite += 1 }
            let names: Set<String>
            do {
                names = Set(try store.read().profiles.keys)
            } catch {
                Issue.record("round \(round): after kill -9 the vault does not open: \(error)")
                return
            }
            #expect(names == expected || names == expected.union([name]), "round \(round): the vault lost or mixed profiles")
            expected = names
        }
        // A kill that left the temp file behind landed between its creation and the rename.
        #expect(killedInsideWrite >= wanted, "only \(killedInsideWrite) of \(round) kills landed inside a write (span \(span) s)")
        try sandbox.importProfile("after")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter(location.isTemporaryFile).isEmpty,
                "the next write left stray temp files")
        #expect(Set(try store.read().profiles.keys) == expected.union(["after"]))
    }

    /// Where a write is killed: the `when`-th call of `call`, and what the vault holds after it.
    struct KillPoint: CustomTestStringConvertible, Sendable {
        let call: String
        let when: Int
        let step: String
        let newProfileVisible: Bool
        var testDescription: String { step }
    }

    @Test("kill -9 at each system call of a write leaves a vault with the old profiles before the rename and the new after it",
          arguments: [
              KillPoint(call: "write", when: 1, step: "writing the temp file", newProfileVisible: false),
              KillPoint(call: "fsync", when: 1, step: "fsyncing the temp file", newProfileVisible: false),
              KillPoint(call: "rename", when: 1, step: "renaming it over the vault", newProfileVisible: false),
              KillPoint(call: "fsync", when: 2, step: "fsyncing the folder", newProfileVisible: true),
              KillPoint(call: "flock", when: 2, step: "releasing the lock", newProfileVisible: true),
          ])
    func killAtEachStep(_ point: KillPoint) throws {
        let strace = try #require(SyscallTrace.executable, "strace is not installed; scripts/setup installs it")
        let sandbox = try Sandbox()
        try sandbox.importProfile("first")
        let log = sandbox.directory.file("strace.log")
        // strace stops the writer on entering that call and kills it there with SIGKILL.
        _ = try runProcess(strace, ["-f", "-qq", "-y", "-o", log, "-e", "trace=" + point.call,
                                    "-e", "inject=\(point.call):signal=SIGKILL:when=\(point.when)",
                                    tokenvaultExecutable, "import", "killed"] + endpoint,
                           environment: sandbox.environment, stdin: tokenJSON("killed"))
        let trace = try String(contentsOfFile: log, encoding: .utf8)
        let killedCall = trace.split(separator: "\n").first { $0.hasSuffix("= ?") }.map(String.init) ?? ""
        #expect(trace.contains("+++ killed by SIGKILL +++") && killedCall.contains(" \(point.call)("),
                "the writer never reached \(point.step):\n\(trace)")
        let target = point.when == 2 && point.call == "fsync" ? sandbox.directory.file("vault") + ">"
            : point.call == "flock" ? sandbox.vault + ".lock>" : "/.tokens.vault.tmp-"
        #expect(killedCall.contains(target), "the killed call is not \(point.step): \(killedCall)")

        let names: Set<String>
        do {
            names = Set(try sandbox.store().read().profiles.keys)
        } catch {
            Issue.record("killed while \(point.step), the vault does not open: \(error)")
            return
        }
        #expect(names == (point.newProfileVisible ? ["first", "killed"] : ["first"]))
        try sandbox.importProfile("after")
        let folder = sandbox.directory.file("vault")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter(#require(sandbox.store().address.fileLocation).isTemporaryFile).isEmpty,
                "the next write left stray temp files")
    }

    @Test("readers that take no lock open every version of the vault while other processes write it")
    func lockFreeReaders() throws {
        let sandbox = try Sandbox()
        try sandbox.addBulkProfiles(300)
        let store = try sandbox.store()
        let start = try store.read().generation

        final class Tally: @unchecked Sendable {
            private let lock = NSLock()
            private(set) var reads = 0
            private(set) var failures: [String] = []
            private(set) var generations: Set<UInt64> = []
            private(set) var writing = true
            private(set) var statuses: [Int32] = []

            func read(_ generation: UInt64) { lock.withLock { reads += 1; generations.insert(generation) } }
            func fail(_ why: String) { lock.withLock { reads += 1; failures.append(why) } }
            func wrote(_ status: Int32) { lock.withLock { statuses.append(status) } }
            func stop() { lock.withLock { writing = false } }
            var stillWriting: Bool { lock.withLock { writing } }
        }
        let tally = Tally()
        // Threads of their own: the shared dispatch pool is what runProcess reads pipes on.
        let readers = (0..<2).map { _ in
            onOwnThread {
                var last: UInt64 = 0
                while tally.stillWriting {
                    do {
                        let snapshot = try store.read()
                        if snapshot.generation < last { tally.fail("generation went back from \(last) to \(snapshot.generation)") }
                        last = snapshot.generation
                        tally.read(snapshot.generation)
                    } catch {
                        tally.fail("\(error)")
                    }
                }
            }
        }
        let chains = 2, writesPerChain = 8
        let environment = sandbox.environment
        let writers = (0..<chains).map { chain in
            onOwnThread {
                for index in 0..<writesPerChain {
                    let name = "w\(chain)-\(index)"
                    let status = (try? runProcess(tokenvaultExecutable, ["import", name] + endpoint,
                                                  environment: environment, stdin: tokenJSON(name)).status) ?? -1
                    tally.wrote(status)
                }
            }
        }
        writers.forEach { $0() }
        tally.stop()
        readers.forEach { $0() }

        #expect(tally.statuses == Array(repeating: 0, count: chains * writesPerChain))
        #expect(tally.failures.isEmpty, "\(tally.failures.count) of \(tally.reads) lock-free reads failed; first: \(tally.failures.first ?? "")")
        // The reads really overlapped the writes: they saw the vault change many times.
        #expect(tally.generations.count >= chains * writesPerChain / 2, "the readers saw only \(tally.generations.count) versions")
        let final = try store.read()
        #expect(final.generation == start + UInt64(chains * writesPerChain))
        #expect(Set((0..<chains).flatMap { chain in (0..<writesPerChain).map { "w\(chain)-\($0)" } }).isSubset(of: Set(final.profiles.keys)))
    }

    @Test("import writes a temp file, fsyncs it, renames it over the vault and fsyncs the folder, all under the writer lock")
    func writeOrder() throws {
        guard let strace = SyscallTrace.executable else {
            Issue.record("strace is not installed; scripts/setup installs it")
            return
        }
        let sandbox = try Sandbox()
        try sandbox.importProfile("first")
        let log = sandbox.directory.file("strace.log")
        let calls = "openat,open,creat,write,pwrite64,writev,pwritev,ftruncate,truncate,fsync,fdatasync,sync_file_range,"
            + "rename,renameat,renameat2,link,linkat,flock,close"
        let result = try runProcess(strace, ["-f", "-qq", "-y", "-e", "trace=" + calls, "-e", "signal=none", "-o", log,
                                             tokenvaultExecutable, "import", "traced"] + endpoint,
                                    environment: sandbox.environment, stdin: tokenJSON("traced"))
        try #require(result.status == 0, "strace or import failed: \(result.stderr)")
        let trace = SyscallTrace.parse(try String(contentsOfFile: log, encoding: .utf8))
        let vault = sandbox.vault
        let folder = sandbox.directory.file("vault")
        let lock = vault + ".lock"

        func first(after start: Int, _ matches: (Syscall) -> Bool) -> Int? {
            trace.indices.first { $0 > start && matches(trace[$0]) }
        }
        let locked = try #require(first(after: -1) { $0.name == "flock" && $0.descriptorNames(lock) && $0.arguments.contains("LOCK_EX") && $0.result == 0 },
                                  "import never took the writer lock")
        let created = try #require(first(after: locked) { call in
            ["open", "openat", "creat"].contains(call.name) && call.result >= 0 && call.arguments.contains("O_EXCL")
                && call.arguments.contains(folder + "/.tokens.vault.tmp-")
        }, "import created no temp file (O_CREAT|O_EXCL) beside the vault under the lock")
        let temporary = String(trace[created].arguments.firstMatch(of: /"([^"]*\.tokens\.vault\.tmp-[0-9a-f]{12})"/)!.1)
        #expect(trace[created].arguments.contains("0600"), "the temp file is not created 0600")
        let writes = trace.indices.filter { trace[$0].name.hasPrefix("write") || trace[$0].name.hasPrefix("pwrite") }
            .filter { trace[$0].descriptorNames(temporary) }
        let written = writes.map { trace[$0].result }.reduce(0, +)
        let size = try FileManager.default.attributesOfItem(atPath: vault)[.size] as! NSNumber
        #expect(written == size.int64Value, "the temp file got \(written) bytes; the vault has \(size)")
        let lastWrite = try #require(writes.last, "nothing was written to the temp file")
        let synced = try #require(first(after: lastWrite) { ["fsync", "fdatasync"].contains($0.name) && $0.descriptorNames(temporary) && $0.result == 0 },
                                  "the temp file was not fsynced after its last write")
        let renamed = try #require(first(after: created) { $0.name.hasPrefix("rename") && $0.arguments.contains("\"\(temporary)\"") && $0.arguments.contains("\"\(vault)\"") && $0.result == 0 },
                                   "the temp file was never renamed over the vault")
        #expect(synced < renamed, "the temp file was renamed over the vault before it was fsynced")
        let folderSynced = try #require(first(after: renamed) { $0.name == "fsync" && $0.descriptorNames(folder) && $0.result == 0 },
                                        "the folder was not fsynced after the rename")
        // flock belongs to the open file: only that descriptor's unlock or close releases it.
        let lockDescriptor = String(trace[locked].arguments.prefix { $0 != "," })
        let unlocked = try #require(first(after: locked) { call in
            (call.name == "flock" && call.arguments.contains("LOCK_UN") || call.name == "close") && call.arguments.hasPrefix(lockDescriptor)
        }, "the writer lock was never released")
        #expect(folderSynced < unlocked, "the writer lock was released before the write was durable")
        let writesToVault = trace.filter { call in
            (call.name.hasPrefix("write") || call.name.hasPrefix("pwrite") || call.name.hasSuffix("truncate")) && call.descriptorNames(vault)
                || ["open", "openat", "creat"].contains(call.name) && call.arguments.contains("\"\(vault)\"")
                    && (call.arguments.contains("O_WRONLY") || call.arguments.contains("O_RDWR") || call.arguments.contains("O_TRUNC"))
        }
        #expect(writesToVault.isEmpty, "the vault itself was opened for writing or written in place: \(writesToVault.map(\.name))")
    }
}
