/// Tells when a JSON object is complete, byte by byte: braces counted outside strings, escapes
/// inside them skipped. Keeps only counters, never the bytes.
struct JSONObjectScanner {
    private var depth = 0
    private var started = false
    private var inString = false
    private var escaped = false

    var isComplete: Bool { started && depth == 0 }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes where !isComplete {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; started = true
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
    }
}
