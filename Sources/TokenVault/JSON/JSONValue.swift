/// A JSON document parsed in place inside guarded memory.
///
/// Strings are not copied out: the reader unescapes them inside the very buffer it parses (an
/// unescaped string is never longer than its escaped form) and keeps only their byte ranges, so a
/// token read from a vault or from stdin becomes a `Secret` slice without ever being a `String`.
/// Not `indirect`: the arrays already hold the nesting, and a boxed scalar would cost an
/// allocation for every member of every profile. `Sendable` is declared, not inferred: inferring
/// it through the recursive member tuples sends the compiler round in a cycle.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Range<Int>)
    case string(Range<Int>)
    case array([JSONValue])
    case object([(key: Range<Int>, value: JSONValue)])
}

struct JSONSyntaxError: Error, CustomStringConvertible {
    let offset: Int
    let reason: String
    var description: String { "\(reason) at byte \(offset)" }
}

/// The parsed document and the buffer its ranges point into.
struct JSONDocument {
    let buffer: SecureBuffer
    let root: JSONValue

    /// Parses `buffer[0..<length]`, rewriting string contents in place.
    init(parsing buffer: SecureBuffer, length: Int) throws(JSONSyntaxError) {
        self.buffer = buffer
        var reader = JSONReader(base: buffer.base.assumingMemoryBound(to: UInt8.self), end: length)
        let root = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        guard reader.position == length else { throw reader.failure("trailing characters") }
        self.root = root
    }

    /// Parses a copy of `secret` made in guarded memory (the secret itself is left as it is).
    init(copying secret: Secret) throws(JSONSyntaxError) {
        let buffer = secret.withUnsafeBytes { SecureBuffer(copying: $0) }
        try self.init(parsing: buffer, length: buffer.count)
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: buffer.bytes(in: range), as: UTF8.self)
    }

    func secret(_ range: Range<Int>) -> Secret {
        Secret(buffer: buffer, range: range)
    }

    func bytesEqual(_ range: Range<Int>, _ text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        let bytes = buffer.bytes(in: range)
        let literal = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        return bytes.elementsEqual(literal)
    }

    /// The text at `range` if it is valid UTF-8, else `nil` (`string` would repair it with
    /// U+FFFD, so the bytes would not survive the next write).
    func validString(_ range: Range<Int>) -> String? {
        let bytes = buffer.bytes(in: range)
        let text = String(decoding: bytes, as: UTF8.self)
        return text.utf8.elementsEqual(bytes) ? text : nil
    }

    /// An integer from a JSON number, or from a JSON string written exactly like a JSON integer
    /// (`"3600"`, as some servers send `expires_in`; not `"+5"`, `" 5"`, `"0x10"`, `".5"`, `"1e3"`,
    /// `"007"`). SECURITY.md, "Integers": the value is taken exactly from the decimal text, a
    /// fraction truncated toward zero, never rounded through a `Double`; a number with an exponent,
    /// any other string, or a value outside `Int64` is `nil`.
    func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case .number(let range): Self.decimalInteger(buffer.bytes(in: range), fractionAllowed: true)
        case .string(let range): Self.decimalInteger(buffer.bytes(in: range), fractionAllowed: false)
        default: nil
        }
    }

    /// `-?(0|[1-9][0-9]*)`, then, if allowed, `.[0-9]+`, which is dropped. Read without making a
    /// `String`: every time in a vault goes through here.
    private static func decimalInteger(_ bytes: UnsafeRawBufferPointer, fractionAllowed: Bool) -> Int64? {
        let negative = bytes.first == UInt8(ascii: "-")
        let digitsStart = negative ? 1 : 0
        var index = digitsStart
        // Accumulated as a negative number, so that Int64.min fits.
        var value: Int64 = 0
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.subtractingReportingOverflow(Int64(digit))
            if overflowA || overflowB { return nil }
            value = next
            index += 1
        }
        let digitCount = index - digitsStart
        guard digitCount > 0, digitCount == 1 || bytes[digitsStart] != UInt8(ascii: "0") else { return nil }
        if index < bytes.count {
            guard fractionAllowed, bytes[index] == UInt8(ascii: "."), index + 1 < bytes.count else { return nil }
            for byte in bytes[(index + 1)...] where !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { return nil }
        }
        if negative { return value }
        let (positive, overflow) = Int64(0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }
}
