/// Text from a server (or from a vault an older version wrote), made safe to print, log and
/// store: no echo of what was sent, no control characters, one line, short.
package enum ServerText {
    /// The most characters of server text in a message or `last_error`.
    package static let limit = 200

    /// Cleans `bytes` in guarded memory, then masks every echo of what was sent
    /// ([EchoMask]) in what is left: what is masked is exactly what is shown. Cut to `limit`
    /// characters (`nil`: whole).
    static func clean(_ bytes: UnsafeRawBufferPointer, masking echoes: EchoMask, limit: Int? = limit) -> String {
        var cleaned = SecureWriter(capacity: bytes.count + 3)
        var input = bytes.makeIterator()
        var decoder = UTF8()
        decoding: while true {
            switch decoder.decode(&input) {
            case .scalarValue(let scalar):
                if let kept = printable(scalar) { UTF8.encode(kept) { cleaned.append($0) } }
            case .error:
                UTF8.encode("\u{FFFD}") { cleaned.append($0) }
            case .emptyInput:
                break decoding
            }
        }
        let buffer = cleaned.buffer
        let text = UnsafeMutableRawBufferPointer(start: buffer.base, count: cleaned.count)
        echoes.mask(text)
        return cut(String(decoding: text, as: UTF8.self), to: limit)
    }

    /// `bytes` as they are, if they pass `syntax` and hold no echo of what was sent; otherwise
    /// `nil`: a value that would have to be altered to be stored is not stored at all.
    static func exact(
        _ bytes: UnsafeRawBufferPointer, masking echoes: EchoMask, syntax: (UnsafeRawBufferPointer) -> Bool
    ) -> String? {
        guard syntax(bytes) else { return nil }
        let copy = SecureBuffer(copying: bytes)
        guard !echoes.mask(copy.bytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `text` (no secret in it: a URL, a stored value) on one line without control characters,
    /// cut to `limit` characters (`nil`: whole).
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
    private static func printable(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return " "
        case 0x00..<0x20, 0x7F..<0xA0: return nil
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return nil
        default: return scalar
        }
    }

    private static func cut(_ text: String, to limit: Int?) -> String {
        guard let limit, text.unicodeScalars.count > limit else { return text }
        var out = String.UnicodeScalarView(text.unicodeScalars.prefix(limit))
        out.append("…")
        return String(out)
    }
}
