internal import CSodium

/// The one place that initialises libsodium. Every wrapper in this folder touches
/// `Sodium.ready` before its first libsodium call.
enum Sodium {
    static let ready: Bool = {
        guard sodium_init() >= 0 else {
            fatalError("tokenvault: libsodium could not be initialised")
        }
        return true
    }()

    /// Fills `buffer` with bytes from the kernel's CSPRNG.
    static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) {
        precondition(ready)
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }

    static func randomBytes(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { fillRandom($0) }
        return bytes
    }

    static func randomUInt32(below bound: UInt32) -> UInt32 {
        precondition(ready)
        return randombytes_uniform(bound)
    }

    /// Keyed BLAKE2b (`crypto_generichash`) of `message` into `output`.
    static func blake2b(
        into output: UnsafeMutableRawBufferPointer,
        message: UnsafeRawBufferPointer,
        key: UnsafeRawBufferPointer?
    ) {
        precondition(ready)
        let status = crypto_generichash(
            output.baseAddress!.assumingMemoryBound(to: UInt8.self), output.count,
            message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
            key?.baseAddress?.assumingMemoryBound(to: UInt8.self), key?.count ?? 0
        )
        precondition(status == 0, "crypto_generichash rejected its parameters")
    }

    /// Compares two equally long buffers in time independent of their contents.
    static func constantTimeEquals(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard lhs.count > 0 else { return true }
        return sodium_memcmp(lhs.baseAddress!, rhs.baseAddress!, lhs.count) == 0
    }

    static func zero(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        sodium_memzero(base, buffer.count)
    }
}

extension Sodium {
    enum Base64Variant {
        case standard, urlSafeNoPadding

        var raw: Int32 {
            switch self {
            case .standard: return sodium_base64_VARIANT_ORIGINAL
            case .urlSafeNoPadding: return sodium_base64_VARIANT_URLSAFE_NO_PADDING
            }
        }
    }

    /// Base64 of `bytes`, appended to a guarded-memory writer.
    static func appendBase64(_ bytes: UnsafeRawBufferPointer, variant: Base64Variant = .standard, to writer: inout SecureWriter) {
        precondition(ready)
        let variant = variant.raw
        let length = sodium_base64_encoded_len(bytes.count, variant)
        let encoded = SecureBuffer(count: length)
        _ = sodium_bin2base64(
            encoded.base.assumingMemoryBound(to: CChar.self), length,
            bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, variant
        )
        writer.append(encoded.bytes(in: 0..<(length - 1)))
    }

    /// Decodes base64 into guarded memory; `nil` when malformed.
    static func decodeBase64(_ text: UnsafeRawBufferPointer, variant: Base64Variant) -> Secret? {
        precondition(ready)
        let output = SecureBuffer(count: text.count * 3 / 4 + 3)
        var length = 0
        let status = text.withMemoryRebound(to: CChar.self) { chars in
            sodium_base642bin(
                output.base.assumingMemoryBound(to: UInt8.self), output.count,
                chars.baseAddress, chars.count, nil, &length, nil, variant.raw
            )
        }
        return status == 0 ? Secret(buffer: output, range: 0..<length) : nil
    }
}
