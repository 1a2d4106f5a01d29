/// Text made safe to print on a terminal and in a log: one line, no control characters, short.
/// For text that holds no secret (a URL, a stored value); text from a server that may echo a
/// secret goes through `ServerText`, which masks first.
package enum PrintableText {
    /// The most characters of such text in a message or `last_error`.
    package static let limit = 200

    /// `text` on one line without control characters, cut to `limit` characters (`nil`: whole).
    package static func clean(_ text: String, limit: Int? = limit) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if let kept = printable(scalar) { out.append(kept) }
        }
        return cut(String(out), to: limit)
    }

    /// Tabs and line breaks become spaces; other C0 controls, DEL, C1 controls (a terminal reads
    /// U+009B as CSI) and the bidirectional controls that reorder what a terminal shows are
    /// dropped.
    static func printable(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return " "
        case 0x00..<0x20, 0x7F..<0xA0: return nil
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return nil
        default: return scalar
        }
    }

    /// `text` cut to `limit` Unicode scalars, with `…` when something was cut.
    static func cut(_ text: String, to limit: Int?) -> String {
        guard let limit, text.unicodeScalars.count > limit else { return text }
        var out = String.UnicodeScalarView(text.unicodeScalars.prefix(limit))
        out.append("…")
        return String(out)
    }
}
