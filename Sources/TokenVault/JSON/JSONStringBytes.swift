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
