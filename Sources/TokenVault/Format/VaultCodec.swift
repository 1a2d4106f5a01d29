/// Seals and opens whole vault files: header, then `crypto_secretbox_easy` of the padded
/// payload under a key derived from the vault key and the header.
enum VaultCodec {
    /// Seals an already padded payload.
    static func seal(paddedPayload: Secret, key: VaultKey, generation: UInt64) -> [UInt8] {
        let header = VaultHeader(
            keyID: key.id, generation: generation, nonce: Sodium.randomBytes(count: SecretBox.nonceByteCount)
        )
        var file = header.encoded
        let box = file.withUnsafeBytes { headerBytes in
            let subkey = key.sealingKey(forHeader: headerBytes)
            return paddedPayload.withUnsafeBytes { payload in
                header.nonce.withUnsafeBytes { SecretBox.seal(payload, using: subkey, nonce: $0) }
            }
        }
        file.append(contentsOf: box.ciphertextWithTag)
        return file
    }

    struct Opened {
        let header: VaultHeader
        let key: VaultKey
        let plaintext: SecureBuffer
    }

    /// Opens a vault file's bytes with whichever of `keys` sealed it.
    static func open(_ file: UnsafeRawBufferPointer, keys: KeyRing) throws(VaultFormatError) -> Opened {
        let header = try VaultHeader(parsing: file)
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[0..<VaultHeader.byteCount])
        let box = UnsafeRawBufferPointer(rebasing: file[VaultHeader.byteCount...])
        guard (box.count - SecretBox.tagByteCount) % VaultPayload.blockSize == 0 else {
            throw .badLength(size: file.count)
        }
        guard let key = keys.key(withID: header.keyID) else {
            throw .sealedWithOtherKey(header.keyID, available: keys.ids)
        }
        let subkey = key.sealingKey(forHeader: headerBytes)
        let opened = header.nonce.withUnsafeBytes { SecretBox.open(box, using: subkey, nonce: $0) }
        guard let plaintext = opened else { throw .tampered }
        return Opened(header: header, key: key, plaintext: plaintext)
    }
}
