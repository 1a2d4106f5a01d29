import Foundation
import TokenVault

// Built by scripts/fuzz with `-D FUZZING` and `--sanitize fuzzer --sanitize address`: libFuzzer
// supplies `main` and calls `LLVMFuzzerTestOneInput` with each input it makes up. Built plainly
// (`swift build`, the tests): a replayer, `tokenvault-fuzz TARGET FILE-OR-FOLDER...`, that runs
// every file through the target once and exits 0, or dies on the first input that traps.

#if FUZZING
/// libFuzzer owns the command line, so the target comes from the environment.
private let fuzzTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["TOKENVAULT_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("tokenvault-fuzz: set TOKENVAULT_FUZZ_TARGET to one of: \(FuzzTarget.names)\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            fail("usage: tokenvault-fuzz TARGET FILE-OR-FOLDER...; targets: \(FuzzTarget.names)")
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in files(at: path) {
                guard let input = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)") }
                // Named before it runs: if it traps, this is the last line of output.
                FileHandle.standardError.write(Data("\(name) \(file)\n".utf8))
                input.withUnsafeBytes { target.run($0) }
                count += 1
            }
        }
        guard count > 0 else { fail("no inputs in \(arguments.dropFirst().joined(separator: " "))") }
        print("tokenvault-fuzz: \(count) inputs ran through \(name) without a trap")
    }

    /// The files at `path`: itself, or the regular files in it (one level), in name order.
    static func files(at path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { fail("\(path) does not exist") }
        guard isFolder.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }.filter { file in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) && !isFolder.boolValue
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("tokenvault-fuzz: \(message)\n".utf8))
        exit(2)
    }
}
#endif
