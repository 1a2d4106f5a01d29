/// JSON output straight into guarded memory, used to build the vault payload.
extension SecureWriter {
    mutating func appendJSONString(_ bytes: UnsafeRawBufferPointer) {
        let hex: StaticString = "0123456789abcdef"
        append(UInt8(ascii: "\""))
        reserve(bytes.count)
        var runStart = 0
        while case let index = JSONStringBytes.firstSpecial(in: bytes, from: runStart), index < bytes.count {
            let byte = bytes[index]
            append(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            runStart = index + 1
            append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): append(byte)
            case 0x0A: append(UInt8(ascii: "n"))
            case 0x0D: append(UInt8(ascii: "r"))
            case 0x09: append(UInt8(ascii: "t"))
            default:
                append("u00")
                append(hex.utf8Start[Int(byte >> 4)])
                append(hex.utf8Start[Int(byte & 0x0f)])
            }
        }
        append(UnsafeRawBufferPointer(rebasing: bytes[runStart...]))
        append(UInt8(ascii: "\""))
    }

    mutating func appendJSONString(_ secret: Secret) {
        secret.withUnsafeBytes { appendJSONString($0) }
    }

    mutating func appendJSONString(public text: String) {
        var text = text
        text.withUTF8 { appendJSONString(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `"name":` preceded by a comma unless it is the first member.
    mutating func appendJSONKey(_ name: StaticString, first: Bool = false) {
        if !first { append(UInt8(ascii: ",")) }
        append(UInt8(ascii: "\""))
        append(name)
        append("\":")
    }

    mutating func appendJSON(_ value: Int64?) {
        guard let value else { return append("null") }
        append(public: String(value))
    }

    /// `value` moved into `bounds` first: what a reader refuses is never written.
    mutating func appendJSON(_ value: Int64?, clampedTo bounds: ClosedRange<Int64>) {
        appendJSON(value.map { $0.clamped(to: bounds) })
    }

    mutating func appendJSON(_ value: Bool) {
        append(value ? "true" : "false")
    }

    mutating func appendJSON(public value: String?) {
        guard let value else { return append("null") }
        appendJSONString(public: value)
    }

    mutating func appendJSON(_ secret: Secret?) {
        guard let secret else { return append("null") }
        appendJSONString(secret)
    }
}
