internal import CSodium

/// The one file that calls libsodium (as swift-system routes every system call through one
/// place): initialisation, guarded memory, secretbox, padding, BLAKE2b, SHA-256, randomness, base64,
/// constant-time comparison and zeroing. Every function touches `Sodium.ready` before its first
/// libsodium call.
enum Sodium {
    static let ready: Bool = {
        guard sodium_init() >= 0 else {
            fatalError("tokenvault: libsodium could not be initialised")
        }
        return true
    }()

    // MARK: Guarded memory

    /// `sodium_malloc`: `count` bytes between guard pages, `mlock`ed where the limit allows and
    /// excluded from core dumps; `nil` when the allocation fails.
    static func allocateGuarded(count: Int) -> UnsafeMutableRawPointer? {
        precondition(ready)
        return sodium_malloc(count)
    }

    /// `sodium_free`: zeroes, unlocks and unmaps an allocation of `allocateGuarded`.
    static func freeGuarded(_ base: UnsafeMutableRawPointer) {
        sodium_free(base)
    }

    // MARK: secretbox (XSalsa20-Poly1305)

    static let secretboxKeyByteCount = Int(crypto_secretbox_KEYBYTES)
    static let secretboxNonceByteCount = Int(crypto_secretbox_NONCEBYTES)
    static let secretboxTagByteCount = Int(crypto_secretbox_MACBYTES)

    /// `crypto_secretbox_easy` of `message` into `output` (`message.count` + tag bytes).
    static func secretboxSeal(
        into output: UnsafeMutableRawBufferPointer, message: UnsafeRawBufferPointer,
        nonce: UnsafeRawBufferPointer, key: UnsafeRawPointer
    ) -> Bool {
        precondition(ready && output.count == message.count + secretboxTagByteCount && nonce.count == secretboxNonceByteCount)
        return crypto_secretbox_easy(
            output.baseAddress!.assumingMemoryBound(to: UInt8.self),
            message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
            nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), key.assumingMemoryBound(to: UInt8.self)
        ) == 0
    }

    /// `crypto_secretbox_open_easy` of `box` into `output` (`box.count` - tag bytes); `false`
    /// when the tag does not verify.
    static func secretboxOpen(
        into output: UnsafeMutableRawBufferPointer, box: UnsafeRawBufferPointer,
        nonce: UnsafeRawBufferPointer, key: UnsafeRawPointer
    ) -> Bool {
        precondition(ready && output.count + secretboxTagByteCount == box.count && nonce.count == secretboxNonceByteCount)
        return crypto_secretbox_open_easy(
            output.baseAddress!.assumingMemoryBound(to: UInt8.self),
            box.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(box.count),
            nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), key.assumingMemoryBound(to: UInt8.self)
        ) == 0
    }

    /// `crypto_stream_xsalsa20_xor_ic`: `message` XORed into `output` (the same length) with the
    /// XSalsa20 key stream of `nonce` and `key` from its 64-byte block `block` on. A secretbox's
    /// ciphertext is this stream from byte 32 on, and its Poly1305 key the stream's first 32 bytes.
    static func xsalsa20XOR(
        into output: UnsafeMutableRawBufferPointer, message: UnsafeRawBufferPointer, fromBlock block: UInt64,
        nonce: UnsafeRawBufferPointer, key: UnsafeRawPointer
    ) {
        precondition(ready && output.count == message.count && nonce.count == secretboxNonceByteCount)
        guard output.count > 0 else { return }
        let status = crypto_stream_xsalsa20_xor_ic(
            output.baseAddress!.assumingMemoryBound(to: UInt8.self),
            message.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
            nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), block, key.assumingMemoryBound(to: UInt8.self)
        )
        precondition(status == 0, "crypto_stream_xsalsa20_xor_ic failed")
    }

    /// The size of `crypto_onetimeauth_state` (Poly1305), for a state kept in guarded memory.
    static let oneTimeAuthStateByteCount = crypto_onetimeauth_statebytes()

    /// `crypto_onetimeauth_init`: starts a Poly1305 state in `state` with a 32-byte `key`.
    static func oneTimeAuthStart(_ state: UnsafeMutableRawPointer, key: UnsafeRawPointer) {
        precondition(ready)
        _ = crypto_onetimeauth_init(
            state.assumingMemoryBound(to: crypto_onetimeauth_state.self), key.assumingMemoryBound(to: UInt8.self)
        )
    }

    /// `crypto_onetimeauth_update`: adds `message` to the Poly1305 state.
    static func oneTimeAuthUpdate(_ state: UnsafeMutableRawPointer, _ message: UnsafeRawBufferPointer) {
        precondition(ready)
        guard message.count > 0 else { return }
        _ = crypto_onetimeauth_update(
            state.assumingMemoryBound(to: crypto_onetimeauth_state.self),
            message.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(message.count)
        )
    }

    /// `crypto_onetimeauth_final`: the 16-byte tag into `tag`.
    static func oneTimeAuthFinish(_ state: UnsafeMutableRawPointer, tag: UnsafeMutableRawBufferPointer) {
        precondition(ready && tag.count == secretboxTagByteCount)
        _ = crypto_onetimeauth_final(
            state.assumingMemoryBound(to: crypto_onetimeauth_state.self), tag.baseAddress!.assumingMemoryBound(to: UInt8.self)
        )
    }

    // MARK: Padding (ISO/IEC 7816-4)

    /// `sodium_pad`: pads the first `length` bytes of `buffer` to a multiple of `blockSize`; the
    /// padded length, or `nil` when `buffer` is too small.
    static func pad(_ buffer: UnsafeMutableRawBufferPointer, length: Int, blockSize: Int) -> Int? {
        precondition(ready)
        var padded = 0
        let status = sodium_pad(&padded, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), length, blockSize, buffer.count)
        return status == 0 ? padded : nil
    }

    /// `sodium_unpad`: the unpadded length of `bytes`, or `nil` when the padding is malformed.
    static func unpaddedLength(of bytes: UnsafeRawBufferPointer, blockSize: Int) -> Int? {
        precondition(ready)
        guard bytes.count > 0 else { return nil }
        var length = 0
        let status = sodium_unpad(&length, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count, blockSize)
        return status == 0 ? length : nil
    }

    // MARK: Randomness

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

    /// The byte length of a SHA-256 digest.
    static let sha256ByteCount = Int(crypto_hash_sha256_BYTES)

    /// SHA-256 (`crypto_hash_sha256`) of `message` into `output` (`sha256ByteCount` bytes): the
    /// PKCE S256 code challenge (RFC 7636 §4.2).
    static func sha256(into output: UnsafeMutableRawBufferPointer, message: UnsafeRawBufferPointer) {
        precondition(ready && output.count == sha256ByteCount)
        _ = crypto_hash_sha256(
            output.baseAddress!.assumingMemoryBound(to: UInt8.self),
            message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count)
        )
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
        writer.append(encodeBase64(bytes, variant: variant))
    }

    /// Base64 of `bytes` into guarded memory, without a terminating NUL.
    static func encodeBase64(_ bytes: UnsafeRawBufferPointer, variant: Base64Variant) -> Secret {
        precondition(ready)
        let length = sodium_base64_encoded_len(bytes.count, variant.raw)
        let encoded = SecureBuffer(count: length)
        _ = sodium_bin2base64(
            encoded.base.assumingMemoryBound(to: CChar.self), length,
            bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, variant.raw
        )
        return Secret(buffer: encoded, range: 0..<(length - 1))
    }

    /// Decodes base64 into `output`; the decoded length, or `nil` when malformed or too long.
    static func decodeBase64(_ text: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, variant: Base64Variant) -> Int? {
        precondition(ready)
        var length = 0
        let status = text.withMemoryRebound(to: CChar.self) { chars in
            sodium_base642bin(
                output.baseAddress!.assumingMemoryBound(to: UInt8.self), output.count,
                chars.baseAddress, chars.count, nil, &length, nil, variant.raw
            )
        }
        return status == 0 ? length : nil
    }

    /// Decodes base64 into guarded memory; `nil` when malformed.
    static func decodeBase64(_ text: UnsafeRawBufferPointer, variant: Base64Variant) -> Secret? {
        let output = SecureBuffer(count: text.count * 3 / 4 + 3)
        return decodeBase64(text, into: output.bytes, variant: variant).map { Secret(buffer: output, range: 0..<$0) }
    }
}
