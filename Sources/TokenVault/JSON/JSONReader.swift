struct JSONReader {
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
