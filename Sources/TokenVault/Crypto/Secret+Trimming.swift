import SystemPackage

extension Secret {
    /// The same secret without leading and trailing blanks and newlines (no copy).
    public func trimmingWhitespace() -> Secret {
        withUnsafeBytes { bytes in
            var first = 0
            var last = bytes.count
            func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
            while first < last, blank(bytes[first]) { first += 1 }
            while last > first, blank(bytes[last - 1]) { last -= 1 }
            return Secret(buffer: buffer, range: (range.lowerBound + first)..<(range.lowerBound + last))
        }
    }
}
