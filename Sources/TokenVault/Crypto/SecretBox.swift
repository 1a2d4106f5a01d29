internal import CSodium

/// libsodium's `crypto_secretbox_easy`: XSalsa20-Poly1305 with a 24-byte nonce.
enum SecretBox {
    static let nonceByteCount = Int(crypto_secretbox_NONCEBYTES)
    static let tagByteCount = Int(crypto_secretbox_MACBYTES)
    static let keyByteCount = Int(crypto_secretbox_KEYBYTES)

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
        let status = output.withUnsafeMutableBytes { out in
            crypto_secretbox_easy(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
                key.base.assumingMemoryBound(to: UInt8.self)
            )
        }
        precondition(status == 0, "crypto_secretbox_easy failed")
        return SealedBox(ciphertextWithTag: output)!
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
        let status = crypto_secretbox_open_easy(
            plaintext.base.assumingMemoryBound(to: UInt8.self),
            box.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(box.count),
            nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
            key.base.assumingMemoryBound(to: UInt8.self)
        )
        return status == 0 ? plaintext : nil
    }

    /// Removes `sodium_pad` padding; the unpadded length, or `nil` when the padding is malformed.
    static func unpaddedLength(of bytes: UnsafeRawBufferPointer, blockSize: Int) -> Int? {
        guard bytes.count > 0, bytes.count % blockSize == 0 else { return nil }
        var length = 0
        let status = sodium_unpad(
            &length, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count, blockSize
        )
        return status == 0 ? length : nil
    }
}
