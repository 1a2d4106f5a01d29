import Foundation
import Testing

/// A crash must leave no core and print no memory: tokens sit in registers and buffers.
@Suite("crash dumps")
struct CrashDumpTests {
    @Test("a crash during import leaves no core, the process was never dumpable, and the report shows no registers or memory")
    func crashLeavesNothing() throws {
        let sandbox = try Sandbox()
        let workdir = TemporaryDirectory()
        #expect(chmod(workdir.path, 0o777) == 0)
        let keyText = try String(contentsOfFile: sandbox.keyfile, encoding: .utf8)
            .split(separator: "\n").first { !$0.hasPrefix("#") }.map(String.init) ?? ""
        // No SWIFT_BACKTRACE: what a user who never heard of it gets. The key comes from the
        // environment so that the child can run as another user.
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": workdir.path, "TOKENVAULT_KEY": keyText,
            "TOKENVAULT_PATH": workdir.file("vault/tokens.vault"),
        ]
        let report = try Harness.run("crash_probe.py", [workdir.path, tokenvaultExecutable, "import", "p", "--token-endpoint", "https://a.example.com/t", "--client-id", "c"], environment: environment)
        let output = report["output"] as? String ?? ""
        #expect(report["hung"] as? Bool == false, "the crash handler never finished")
        #expect(report["signaled"] as? Bool == true && report["signal"] as? Int == 11, "\(report)")
        #expect(report["core_dumped"] as? Bool == false, "the kernel wrote a core")
        #expect((report["core_files"] as? [String])?.isEmpty == true, "\(report["core_files"] ?? "")")
        let limit = (report["core_limit"] as? String ?? "").split(separator: " ").map(String.init)
        #expect(limit.suffix(3) == ["0", "0", "bytes"], "RLIMIT_CORE: \(limit)")
        // A process that is not dumpable has its /proc/PID owned by root instead of its own user.
        #expect(report["proc_owner"] as? Int == 0 && report["child_uid"] as? Int != 0, "the process was dumpable: \(report)")
        #expect(output.contains("tokenvault: crashed with signal 11 (SIGSEGV); this is a bug"), "\(output)")
        #expect(!output.contains("Registers:"), "\(output)")
        #expect(output.range(of: #"([0-9a-f]{2} ){15}[0-9a-f]{2}"#, options: .regularExpression) == nil, "a memory dump: \(output)")
        #expect(!output.contains(secretMarker))
    }
}
