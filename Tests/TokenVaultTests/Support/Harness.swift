import Foundation

/// The Python helpers in Tests/Harness: a pseudo-terminal driver and a crash probe.
enum Harness {
    static let python: String = ProcessInfo.processInfo.environment["TOKENVAULT_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/bin/python3"

    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Harness/\(name)").path
    }

    /// Runs a helper and decodes the JSON object it prints.
    static func run(_ name: String, _ arguments: [String], environment: [String: String]) throws -> [String: Any] {
        let result = try runProcess(python, [script(name)] + arguments, environment: environment)
        guard result.status == 0, let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw HarnessError(text: "\(name) failed (\(result.status)): \(result.stderr)")
        }
        return object
    }

    struct HarnessError: Error, CustomStringConvertible {
        let text: String
        var description: String { text }
    }
}
