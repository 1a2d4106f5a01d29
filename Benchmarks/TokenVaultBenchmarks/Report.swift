/// One figure of the benchmark: its median against a reference measured in the same run.
struct Figure {
    let name: String
    let median: String
    let p90: String
    let reference: String
    let ratio: String
    let target: String
    let result: String

    static let header = Figure(
        name: "figure", median: "median", p90: "p90", reference: "reference (median)", ratio: "ratio",
        target: "target", result: "result"
    )

    var line: String {
        padded(name, 46) + padded(median, 10, right: true) + padded(p90, 10, right: true) + "   "
            + padded(reference, 42) + padded(ratio, 8, right: true) + "   " + padded(target, 30) + result
    }

    static func verdict(_ pass: Bool) -> String { pass ? "PASS" : "MISS" }
}

/// One row of the growth table.
struct GrowthRow {
    let profiles: Int
    let vaultSize: Int
    let open: Double
    let plaintext: Double
    let reseal: Double
    let bareWrite: Double
    let tokenCLI: Double
    let accessToken: Double
    let peakKiB: Int

    static let header = [
        "profiles", "vault size", "open", "plaintext JSON", "re-seal", "bare write", "re-seal ratio",
        "token CLI", "accessToken", "peak RSS (open)",
    ]

    var cells: [String] {
        [
            grouped(profiles), bytes(vaultSize), duration(open), duration(plaintext), duration(reseal),
            duration(bareWrite), ratio(reseal / bareWrite), duration(tokenCLI), duration(accessToken),
            bytes(peakKiB * 1024),
        ]
    }
}

/// A Markdown table, columns padded so it also reads as plain text.
func table(_ header: [String], _ rows: [[String]]) -> String {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
    func line(_ cells: [String]) -> String {
        "| " + zip(cells, widths).map { padded($0, $1) }.joined(separator: " | ") + " |"
    }
    let rule = "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"
    return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
}
