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
