/// A small JSON writer for command output. Only non-secret values go through it: token
/// fingerprints, times, names and URLs.
struct JSONOutput {
    private(set) var text = ""
    private var needsComma: [Bool] = [false]

    enum Value {
        case string(String?)
        case integer(Int64?)
        /// An unsigned 64-bit number (the vault's generation); null when absent.
        case unsigned(UInt64?)
        case bool(Bool)
    }

    mutating func beginObject(_ key: String? = nil) { open(key, "{") }
    mutating func endObject() { close("}") }
    mutating func beginArray(_ key: String? = nil) { open(key, "[") }
    mutating func endArray() { close("]") }

    mutating func field(_ key: String, _ value: Value) {
        separate()
        text += Self.quoted(key) + ":"
        append(value)
    }

    /// A value in an array.
    mutating func element(_ value: Value) {
        separate()
        append(value)
    }

    private mutating func append(_ value: Value) {
        switch value {
        case .string(let string): text += string.map(Self.quoted) ?? "null"
        case .integer(let number): text += number.map(String.init) ?? "null"
        case .unsigned(let number): text += number.map(String.init) ?? "null"
        case .bool(let flag): text += flag ? "true" : "false"
        }
    }

    private mutating func open(_ key: String?, _ bracket: String) {
        separate()
        if let key { text += Self.quoted(key) + ":" }
        text += bracket
        needsComma.append(false)
    }

    private mutating func close(_ bracket: String) {
        needsComma.removeLast()
        text += bracket
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // C0, DEL and C1 (a terminal reads U+009B as CSI) escaped: the value stays exact,
            // and printing the document sends no control character to a terminal.
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
