import Foundation

/// One system call from an `strace -f -y` log: its name, its arguments as printed (descriptors
/// as `4</path/they/name>`), and its result.
struct Syscall {
    let name: String
    let arguments: String
    let result: Int64

    /// Whether the first argument is a descriptor naming `path`.
    func descriptorNames(_ path: String) -> Bool {
        arguments.wholeMatch(of: /\d+<(.*?)>.*/).map { $0.1 == path } ?? false
    }
}

/// Reads the log of `strace -f -qq -y -o LOG`, and finds `strace` itself.
enum SyscallTrace {
    /// `strace`, where Debian installs it; `nil` when it is missing.
    static let executable: String? = ["/usr/bin/strace", "/bin/strace"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The calls in the order they finished. A call another thread's call split in two
    /// (`<unfinished ...>`, then `<... NAME resumed>`) is joined again.
    static func parse(_ log: String) -> [Syscall] {
        var calls: [Syscall] = []
        var unfinished: [Substring: (name: Substring, arguments: Substring)] = [:]
        for line in log.split(separator: "\n") {
            if let start = line.wholeMatch(of: /(\d+) +(\w+)\((.*) <unfinished \.\.\.>/) {
                unfinished[start.1] = (start.2, start.3)
            } else if let end = line.wholeMatch(of: /(\d+) +<\.\.\. (\w+) resumed>(.*)\) += (-?\d+).*/),
                      let begun = unfinished.removeValue(forKey: end.1) {
                calls.append(Syscall(name: String(begun.name), arguments: String(begun.arguments + end.3), result: Int64(end.4) ?? -1))
            } else if let call = line.wholeMatch(of: /(\d+) +(\w+)\((.*)\) += (-?\d+).*/) {
                calls.append(Syscall(name: String(call.2), arguments: String(call.3), result: Int64(call.4) ?? -1))
            }
        }
        return calls
    }
}
