/// Text from a server (or from a vault an older version wrote), made safe to print, log and
/// store: no echo of what was sent, no control characters, one line, short.
package enum ServerText {
    /// The most characters of server text in a message or `last_error`.
    package static let limit = PrintableText.limit

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
                if let kept = PrintableText.printable(scalar) { UTF8.encode(kept) { cleaned.append($0) } }
            case .error:
                UTF8.encode("\u{FFFD}") { cleaned.append($0) }
            case .emptyInput:
                break decoding
            }
        }
        let buffer = cleaned.buffer
        let text = UnsafeMutableRawBufferPointer(start: buffer.base, count: cleaned.count)
        echoes.mask(text)
        return PrintableText.cut(String(decoding: text, as: UTF8.self), to: limit)
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
}
