import Foundation
import Testing
@testable import TokenVault

/// The JSON reader against a corpus in JSONTestSuite's naming (JSONCases/): `y_` files must parse,
/// `n_` files must be refused, and for each `i_` file (where RFC 8259 lets a parser choose) the
/// reader's choice is the one SECURITY.md ("How tokenvault reads") documents.
@Suite("JSON reader corpus")
struct JSONCaseTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("JSONCases")

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// What the reader does where RFC 8259 leaves the choice open: `true` when it accepts.
    static let implementationChoices: [String: Bool] = [
        // Strings are byte strings to the reader (a token is opaque); the payload rules then refuse
        // text members that are not UTF-8.
        "i_string_invalid_utf8.json": true,
        "i_string_overlong_utf8.json": true,
        "i_string_utf8_surrogate.json": true,
        // A byte-order mark is not JSON text.
        "i_structure_bom.json": false,
        // Numbers are kept as text; only their integer reading decides (an exponent is not an integer).
        "i_number_huge_exponent.json": true,
        "i_number_very_long.json": true,
        // At most 64 levels of nesting.
        "i_structure_nesting_64.json": true,
    ]

    static func parses(_ name: String) throws -> Bool {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        let buffer = data.withUnsafeBytes { SecureBuffer(copying: $0) }
        do {
            _ = try JSONDocument(parsing: buffer, length: buffer.count)
            return true
        } catch {
            return false
        }
    }

    @Test("the corpus is there and every i_ case has a documented choice")
    func corpusComplete() {
        #expect(Self.cases.count >= 70)
        #expect(Set(Self.cases.filter { $0.hasPrefix("i_") }) == Set(Self.implementationChoices.keys))
    }

    @Test("each case is read as its name says", arguments: cases)
    func readAsNamed(_ name: String) throws {
        let accepted = try Self.parses(name)
        switch name.prefix(2) {
        case "y_": #expect(accepted, "\(name) was refused")
        case "n_": #expect(!accepted, "\(name) was accepted")
        default: #expect(accepted == Self.implementationChoices[name], "\(name): accepted \(accepted)")
        }
    }
}
