/// A token or other secret, held in guarded memory and reachable only through a closure.
///
/// `Secret` never prints its contents: `description` is a short fingerprint, so a secret that
/// ends up in string interpolation, a log line or an error message shows as `secret(…)`.
public struct Secret: Sendable, CustomStringConvertible {
    let buffer: SecureBuffer
    let range: Range<Int>

    init(buffer: SecureBuffer, range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count)
        self.buffer = buffer
        self.range = range
    }

    /// Copies `bytes` into guarded memory.
    public init(copying bytes: UnsafeRawBufferPointer) {
        let buffer = SecureBuffer(copying: bytes)
        self.init(buffer: buffer, range: 0..<buffer.count)
    }

    /// Copies the UTF-8 of `text` into guarded memory. The caller still holds `text`; prefer the
    /// byte initialiser when the secret is not already a `String`.
    public init(copying text: String) {
        var text = text
        self = text.withUTF8 { Secret(copying: UnsafeRawBufferPointer($0)) }
    }

    /// The secret's length in bytes.
    public var count: Int { range.count }
    /// Whether the secret has no bytes.
    public var isEmpty: Bool { range.isEmpty }

    /// Calls `body` with the secret's bytes. The pointer is valid only during the call; do not
    /// copy the bytes out of it.
    public func withUnsafeBytes<Result>(
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        try body(buffer.bytes(in: range))
    }

    /// The secret as a `String`, for the one place that needs one (an HTTP `Authorization`
    /// header). Keep the result's lifetime short.
    public func unsafeStringValue() -> String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Eight hex digits of an unkeyed BLAKE2b hash: enough to tell two tokens apart or match one
    /// with a server's records, useless for recovering a high-entropy token.
    public var fingerprint: String {
        var digest = [UInt8](repeating: 0, count: 4)
        withUnsafeBytes { message in
            digest.withUnsafeMutableBytes { Sodium.blake2b(into: $0, message: message, key: nil) }
        }
        return digest.hexString
    }

    /// `secret(` and the fingerprint, never the contents.
    public var description: String { "secret(\(fingerprint))" }

    /// Constant-time comparison of contents.
    public func isEqual(to other: Secret) -> Bool {
        withUnsafeBytes { lhs in other.withUnsafeBytes { rhs in Sodium.constantTimeEquals(lhs, rhs) } }
    }
}

extension Array where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
