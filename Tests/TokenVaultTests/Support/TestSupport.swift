import Foundation
import Testing

/// Every token a test invents contains this marker, so that any output of any run can be
/// checked for leaks with one search.
let secretMarker = "tvsecret"

/// A fresh private directory for one test, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "tokenvault-test-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { path + "/" + name }
}

struct RunResult {
    let status: Int32
    let stdout: String
    let stderr: String

    var output: String { stdout + stderr }
}

/// Where `swift build` put the `tokenvault` executable: beside the test bundle, unless
/// TOKENVAULT_TEST_EXECUTABLE names another build (a release build, or an older one to watch a
/// new test fail against).
let tokenvaultExecutable: String = {
    if let chosen = ProcessInfo.processInfo.environment["TOKENVAULT_TEST_EXECUTABLE"], !chosen.isEmpty { return chosen }
    return builtExecutable("tokenvault")
}()

/// Where `swift build` put the executable `name`: beside the test bundle.
func builtExecutable(_ name: String) -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    return sourceTree.appendingPathComponent(".build/debug/" + name).path
}

/// The package's folder.
let sourceTree = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Whether Foundation's `Process.run()` failed with ETXTBSY (it wraps the errno in a Cocoa error).
private func textFileBusy(_ error: Error) -> Bool {
    let error = error as NSError
    let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError
    return error.code == Int(ETXTBSY) || underlying?.code == Int(ETXTBSY)
}

/// Runs a process to completion and collects its output.
func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String], stdin: String? = nil
) throws -> RunResult {
    var attempt = 0
    var process: Process
    var pipes: (out: Pipe, err: Pipe, input: Pipe)
    while true {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        pipes = (Pipe(), Pipe(), Pipe())
        process.standardOutput = pipes.out
        process.standardError = pipes.err
        process.standardInput = pipes.input
        do {
            try process.run()
            break
        } catch where attempt < 50 && textFileBusy(error) {
            // A file a test has just written (a copied executable, a script) is busy while a
            // child forked meanwhile by another test still holds its write descriptor, until
            // that child's exec closes it: wait for that, as a shell would have to.
            attempt += 1
            usleep(20_000)
        }
    }
    let (out, err, input) = pipes
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child never blocks on a full pipe.
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errBox.data = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let errData = errBox.data
    process.waitUntilExit()
    return RunResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self)
    )
}

/// A vault in a temporary directory with its own key, and a way to run `tokenvault` on it.
final class Sandbox {
    let directory = TemporaryDirectory()
    var keyfile: String { directory.file("key") }
    var vault: String { directory.file("vault/tokens.vault") }

    /// A sandbox with a key; `initialised` also creates the vault.
    init(initialised: Bool = true) throws {
        try expectSuccess(["keygen", "--output", keyfile])
        if initialised { try expectSuccess(["init"]) }
    }

    var environment: [String: String] {
        [
            "PATH": "/usr/bin:/bin",
            "HOME": directory.path,
            "TOKENVAULT_PATH": vault,
            "TOKENVAULT_KEYFILE": keyfile,
        ]
    }

    /// Runs `tokenvault` and checks that no test secret shows up anywhere in its output
    /// (`secretOnStdout` for the commands whose job is to print one).
    @discardableResult
    func run(
        _ arguments: [String], stdin: String? = nil, environment overrides: [String: String?] = [:],
        secretOnStdout: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RunResult {
        var environment = self.environment
        for (name, value) in overrides { environment[name] = value }
        let result = try runProcess(tokenvaultExecutable, arguments, environment: environment, stdin: stdin)
        #expect(!result.stderr.contains(secretMarker), "a secret leaked to stderr: \(arguments)", sourceLocation: sourceLocation)
        if !secretOnStdout {
            #expect(!result.stdout.contains(secretMarker), "a secret leaked to stdout: \(arguments)", sourceLocation: sourceLocation)
        }
        return result
    }

    @discardableResult
    func expectSuccess(
        _ arguments: [String], stdin: String? = nil, environment: [String: String?] = [:],
        secretOnStdout: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RunResult {
        let result = try run(arguments, stdin: stdin, environment: environment, secretOnStdout: secretOnStdout, sourceLocation: sourceLocation)
        #expect(result.status == 0, "tokenvault \(arguments) failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    /// Imports a profile with tokens named after it.
    func importProfile(_ name: String, expiresIn: Int = 3600, endpoint: String = "https://auth.example.com/token") throws {
        let json = """
            {"access_token":"\(secretMarker)-access-\(name)","token_type":"Bearer","expires_in":\(expiresIn),\
            "scope":"read","refresh_token":"\(secretMarker)-refresh-\(name)"}
            """
        try expectSuccess(["import", name, "--token-endpoint", endpoint, "--client-id", "client-\(name)"], stdin: json)
    }

    /// A keyfile of two keys as a fleet keeps it during a rotation, mode 0600: the keys of `first`,
    /// then those of `second` (the sandbox's own keyfile unless told). Returns its path.
    func twoKeyKeyfile(
        _ name: String, first: String, then second: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let path = directory.file(name)
        let text = try String(contentsOfFile: first, encoding: .utf8) + String(contentsOfFile: second ?? keyfile, encoding: .utf8)
        try #require(
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]),
            "could not write \(path)", sourceLocation: sourceLocation)
        return path
    }

    /// Makes another process hold the vault's writer lock (flock(1)) until `release` is called,
    /// however slow the machine is; returns once the lock is really held.
    func holdWriterLock() throws -> () -> Void {
        let release = directory.file("release-\(UInt32.random(in: 0...UInt32.max))")
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [vault + ".lock", "/bin/sh", "-c", "while [ ! -e \"$0\" ]; do sleep 0.05; done", release]
        try holder.run()
        while try runProcess("/usr/bin/flock", ["-n", vault + ".lock", "true"], environment: [:]).status == 0 {
            usleep(20_000)
        }
        return {
            _ = FileManager.default.createFile(atPath: release, contents: nil)
            holder.waitUntilExit()
        }
    }

    func mode(of path: String) -> Int {
        var status = stat()
        guard lstat(path, &status) == 0 else { return -1 }
        return Int(status.st_mode & 0o7777)
    }

    func profileNames() throws -> [String] {
        let result = try expectSuccess(["list"])
        return result.stdout.split(separator: "\n").map(String.init)
    }
}

/// Runs `tokenvault` through `sh` so that its pid is known while it runs (`pidFile`), in the
/// background; `wait()` returns its result.
final class BackgroundRun: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<RunResult, Error>?
    let pidFile: String

    init(_ arguments: [String], environment: [String: String], stdin: String? = nil, in directory: TemporaryDirectory) {
        pidFile = directory.file("pid-\(UInt32.random(in: 0...UInt32.max))")
        let script = "echo $$ > \"$0\"; exec \"$@\""
        group.enter()
        DispatchQueue.global().async { [self] in
            result = Result { try runProcess("/bin/sh", ["-c", script, pidFile, tokenvaultExecutable] + arguments, environment: environment, stdin: stdin) }
            group.leave()
        }
    }

    /// The pid, once the shell has written it (it then execs tokenvault under the same pid).
    func pid() -> Int32 {
        while true {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return pid }
            usleep(10_000)
        }
    }

    /// Waits until the process has `path` open (polls /proc/PID/fd), for at most `seconds`.
    @discardableResult
    func waitUntilOpen(_ path: String, seconds: Double = 20) -> Bool {
        let pid = pid()
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            for fd in fds where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == path { return true }
            usleep(10_000)
        }
        return false
    }

    func wait() throws -> RunResult {
        group.wait()
        return try result!.get()
    }
}
