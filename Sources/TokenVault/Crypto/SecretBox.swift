/// libsodium's `crypto_secretbox_easy`: XSalsa20-Poly1305 with a 24-byte nonce.
enum SecretBox {
    static let nonceByteCount = Sodium.secretboxNonceByteCount
    static let tagByteCount = Sodium.secretboxTagByteCount
    static let keyByteCount = Sodium.secretboxKeyByteCount

    /// A box's bytes as stored: the Poly1305 tag followed by the ciphertext. The nonce travels
    /// separately (in the vault header).
    struct SealedBox {
        let ciphertextWithTag: [UInt8]

        init?(ciphertextWithTag: [UInt8]) {
            guard ciphertextWithTag.count >= SecretBox.tagByteCount else { return nil }
            self.ciphertextWithTag = ciphertextWithTag
        }

        var plaintextByteCount: Int { ciphertextWithTag.count - SecretBox.tagByteCount }
    }

    static func seal(
        _ plaintext: UnsafeRawBufferPointer,
        using key: SecureBuffer,
        nonce: UnsafeRawBufferPointer
    ) -> SealedBox {
        precondition(Sodium.ready && key.count == keyByteCount && nonce.count == nonceByteCount)
        var output = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        let sealed = output.withUnsafeMutableBytes { out in
            Sodium.secretboxSeal(into: out, message: plaintext, nonce: nonce, key: key.base)
        }
        precondition(sealed, "crypto_secretbox_easy failed")
        return SealedBox(ciphertextWithTag: output)!
    }

    /// Seals `plaintext` into `output`, which holds exactly the box (tag, then ciphertext): for a
    /// caller that places the box in a larger buffer instead of copying it there.
    static func seal(
        _ plaintext: UnsafeRawBufferPointer,
        using key: SecureBuffer,
        nonce: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) {
        precondition(Sodium.ready && key.count == keyByteCount && nonce.count == nonceByteCount)
        precondition(Sodium.secretboxSeal(into: output, message: plaintext, nonce: nonce, key: key.base), "crypto_secretbox_easy failed")
    }

    /// Opens a box into guarded memory; `nil` when the tag does not verify.
    static func open(
        _ box: UnsafeRawBufferPointer,
        using key: SecureBuffer,
        nonce: UnsafeRawBufferPointer
    ) -> SecureBuffer? {
        precondition(Sodium.ready && key.count == keyByteCount && nonce.count == nonceByteCount)
        guard box.count >= tagByteCount else { return nil }
        let plaintext = SecureBuffer(count: box.count - tagByteCount)
        return Sodium.secretboxOpen(into: plaintext.bytes, box: box, nonce: nonce, key: key.base) ? plaintext : nil
    }

    /// Removes `sodium_pad` padding; the unpadded length, or `nil` when the padding is malformed.
    static func unpaddedLength(of bytes: UnsafeRawBufferPointer, blockSize: Int) -> Int? {
        guard bytes.count > 0, bytes.count % blockSize == 0 else { return nil }
        return Sodium.unpaddedLength(of: bytes, blockSize: blockSize)
    }
}
