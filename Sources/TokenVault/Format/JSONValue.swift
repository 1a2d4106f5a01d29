/// A JSON document parsed in place inside guarded memory.
///
/// Strings are not copied out: the reader unescapes them inside the very buffer it parses (an
/// unescaped string is never longer than its escaped form) and keeps only their byte ranges, so a
/// token read from a vault or from stdin becomes a `Secret` slice without ever being a `String`.
/// Not `indirect`: the arrays already hold the nesting, and a boxed scalar would cost an
/// allocation for every member of every profile.
enum JSONValue {
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

private struct JSONReader {
    let base: UnsafeMutablePointer<UInt8>
    let end: Int
    var position = 0
    static let maximumDepth = 64
    /// How many members (elements) the last object (array) at each depth had. Siblings are
    /// alike (a vault's profiles all have the same members), so the next one is allocated at
    /// that size at once instead of grown by doubling.
    private var memberCounts = [Int](repeating: 0, count: maximumDepth)
    private var elementCounts = [Int](repeating: 0, count: maximumDepth)

    init(base: UnsafeMutablePointer<UInt8>, end: Int) {
        self.base = base
        self.end = end
    }

    func failure(_ reason: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: position, reason: reason)
    }

    mutating func skipWhitespace() {
        while position < end {
            switch base[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < Self.maximumDepth else { throw failure("nesting too deep") }
        skipWhitespace()
        guard position < end else { throw failure("unexpected end of input") }
        switch base[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure("unexpected character")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard end - position >= count else { throw failure("unexpected end of input") }
        for index in 0..<count where base[position + index] != literal.utf8Start[index] {
            throw failure("invalid literal")
        }
        position += count
    }

    mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var members: [(key: Range<Int>, value: JSONValue)] = []
        skipWhitespace()
        if position < end, base[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        members.reserveCapacity(memberCounts[depth])
        while true {
            skipWhitespace()
            guard position < end, base[position] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try parseString()
            skipWhitespace()
            guard position < end, base[position] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            position += 1
            let value = try parseValue(depth: depth + 1)
            members.append((key, value))
            skipWhitespace()
            guard position < end else { throw failure("unexpected end of input") }
            if base[position] == UInt8(ascii: ",") { position += 1; continue }
            if base[position] == UInt8(ascii: "}") {
                position += 1
                memberCounts[depth] = members.count
                return .object(members)
            }
            throw failure("expected ',' or '}'")
        }
    }

    mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < end, base[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        elements.reserveCapacity(elementCounts[depth])
        while true {
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard position < end else { throw failure("unexpected end of input") }
            if base[position] == UInt8(ascii: ",") { position += 1; continue }
            if base[position] == UInt8(ascii: "]") {
                position += 1
                elementCounts[depth] = elements.count
                return .array(elements)
            }
            throw failure("expected ',' or ']'")
        }
    }

    mutating func parseNumber() throws(JSONSyntaxError) -> Range<Int> {
        let start = position
        if base[position] == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        while position < end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(base[position]) { position += 1 }
        guard position > digitsStart else { throw failure("invalid number") }
        // RFC 8259: no leading zeros (`007`, `-01`).
        guard position - digitsStart == 1 || base[digitsStart] != UInt8(ascii: "0") else { throw failure("leading zero in a number") }
        if position < end, base[position] == UInt8(ascii: ".") {
            position += 1
            let fraction = position
            while position < end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(base[position]) { position += 1 }
            guard position > fraction else { throw failure("invalid number") }
        }
        if position < end, base[position] == UInt8(ascii: "e") || base[position] == UInt8(ascii: "E") {
            position += 1
            if position < end, base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-") { position += 1 }
            let exponent = position
            while position < end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(base[position]) { position += 1 }
            guard position > exponent else { throw failure("invalid number") }
        }
        return start..<position
    }

    /// Parses a string starting at its opening quote and unescapes it in place; returns the range
    /// of the unescaped bytes.
    mutating func parseString() throws(JSONSyntaxError) -> Range<Int> {
        position += 1
        let start = position
        // Most strings (every token) have no escape: nothing to move until the first one.
        position = JSONStringBytes.firstSpecial(in: UnsafeRawBufferPointer(start: base, count: end), from: position)
        if position < end, base[position] == UInt8(ascii: "\"") {
            position += 1
            return start..<(position - 1)
        }
        var write = position
        while position < end {
            let byte = base[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return start..<write
            }
            if byte < 0x20 { throw failure("control character in string") }
            if byte != UInt8(ascii: "\\") {
                base[write] = byte
                write += 1
                position += 1
                continue
            }
            position += 1
            guard position < end else { break }
            let escaped = base[position]
            position += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): base[write] = escaped
            case UInt8(ascii: "b"): base[write] = 0x08
            case UInt8(ascii: "f"): base[write] = 0x0C
            case UInt8(ascii: "n"): base[write] = 0x0A
            case UInt8(ascii: "r"): base[write] = 0x0D
            case UInt8(ascii: "t"): base[write] = 0x09
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard end - position >= 6, base[position] == UInt8(ascii: "\\"),
                          base[position + 1] == UInt8(ascii: "u") else { throw failure("unpaired surrogate") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw failure("unpaired surrogate")
                }
                for unit in UTF8.encode(Unicode.Scalar(scalar)!)! {
                    base[write] = unit
                    write += 1
                }
                continue
            default: throw failure("invalid escape")
            }
            write += 1
        }
        throw failure("unterminated string")
    }

    mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard end - position >= 4 else { throw failure("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = base[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}

/// The bytes a JSON string cannot hold as they are: `"`, `\` and control characters.
enum JSONStringBytes {
    /// Where the first of them is in `bytes` at or after `start` (`bytes.count` if none): eight
    /// bytes at a time while there is none among them, so that tokens, most of a vault's bytes,
    /// are passed over quickly, when reading and when writing.
    static func firstSpecial(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while bytes.count - index >= 8 {
            if holdsSpecial(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) { break }
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return index }
            index += 1
        }
        return bytes.count
    }

    /// Whether a byte of `word` is one of them (Hacker's Delight's "has zero byte" and "has
    /// byte less than" tests; exact as a yes or no).
    private static func holdsSpecial(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* 0x22), backslashes = word ^ (ones &* 0x5C)
        let hits = ((quotes &- ones) & ~quotes) | ((backslashes &- ones) & ~backslashes) | ((word &- ones &* 0x20) & ~word)
        return hits & highs != 0
    }
}
