/// A one-way digest of a refresh token: 16 bytes of unkeyed BLAKE2b, written as 32 lowercase hex
/// digits. A profile keeps the digests of refresh tokens it has moved on from, inside the sealed
/// payload, so that a stale copy of its chain (an old plaintext file, a second paste of the same
/// MCP Inspector output) is recognised without keeping the spent token itself.
public struct TokenDigest: Sendable, Hashable, CustomStringConvertible {
    static let byteCount = 16

    let bytes: [UInt8]

    /// The digest of `token`'s bytes.
    public init(of token: Secret) {
        var digest = [UInt8](repeating: 0, count: Self.byteCount)
        token.withUnsafeBytes { message in
            digest.withUnsafeMutableBytes { Sodium.blake2b(into: $0, message: message, key: nil) }
        }
        bytes = digest
    }

    /// Reads 32 lowercase hex digits; `nil` for anything else.
    init?(hex: UnsafeRawBufferPointer) {
        guard hex.count == Self.byteCount * 2 else { return nil }
        func nibble(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
        var decoded = [UInt8]()
        decoded.reserveCapacity(Self.byteCount)
        for index in stride(from: 0, to: hex.count, by: 2) {
            guard let high = nibble(hex[index]), let low = nibble(hex[index + 1]) else { return nil }
            decoded.append(high << 4 | low)
        }
        bytes = decoded
    }

    /// The 32 lowercase hex digits.
    public var description: String { bytes.hexString }
}
