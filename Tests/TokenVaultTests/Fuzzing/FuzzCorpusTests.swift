import Foundation
import Testing
import TokenVault

/// Every input the fuzz targets were seeded with or once crashed on (Fuzz/corpus/TARGET), run
/// again on every test run, so a crash found once stays fixed.
@Suite("fuzz corpora")
struct FuzzCorpusTests {
    /// Inputs that still trap, with what goes wrong (Fuzz/awaiting-fix.txt). Each runs on its own
    /// as a known issue: once the fix lands, the test reports that the issue no longer occurs.
    static let awaitingFix: [String: String] = {
        let list = (try? String(contentsOf: sourceTree.appendingPathComponent("Fuzz/awaiting-fix.txt"), encoding: .utf8)) ?? ""
        var entries: [String: String] = [:]
        for line in list.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if let file = parts.first { entries[String(file)] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "" }
        }
        return entries
    }()

    @Test("every input in a fuzz target's checked-in corpus runs through it without a trap", arguments: FuzzTarget.allCases)
    func corpusReplays(_ target: FuzzTarget) throws {
        let corpus = sourceTree.appendingPathComponent("Fuzz/corpus/" + target.rawValue).path
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus).sorted()
        let waiting = names.filter { Self.awaitingFix["\(target.rawValue)/\($0)"] != nil }
        let inputs = names.filter { !waiting.contains($0) }
        #expect(!inputs.isEmpty, "no inputs in \(corpus)")
        // In a process of its own: an input that traps fails this test, not the whole run.
        let result = try replay(target, inputs.map { corpus + "/" + $0 })
        #expect(result.status == 0, "an input trapped \(target.rawValue) (named on the last line):\n\(result.stderr.suffix(4000))")
        #expect(result.stdout.contains("\(inputs.count) inputs ran through \(target.rawValue)"))
        for name in waiting {
            withKnownIssue(Comment(rawValue: Self.awaitingFix["\(target.rawValue)/\(name)"]!)) {
                let trapped = try replay(target, [corpus + "/" + name])
                #expect(trapped.status == 0)
            }
        }
    }

    private func replay(_ target: FuzzTarget, _ files: [String]) throws -> RunResult {
        try runProcess(builtExecutable("tokenvault-fuzz"), [target.rawValue] + files, environment: [:])
    }
}
