/// Seals and opens whole vault files: header, then `crypto_secretbox_easy` of the padded
/// payload under a key derived from the vault key and the header.
enum VaultCodec {
    /// The largest vault file, 64 MiB: over five times a vault of 10,000 profiles (11.4 MiB in
    /// Benchmarks/RESULTS.md), or about 56,000 such profiles. A reader refuses a larger file from
    /// its size, before it allocates or reads anything; a writer refuses to write one.
    static let maximumFileSize = 64 << 20

    /// Checks 6 and 7 of SECURITY.md's reading order on a file of `size` bytes whose header
    /// checks passed: whole padding blocks, and at most `maximumFileSize`.
    static func checkLength(_ size: Int) throws(VaultFormatError) {
        guard (size - VaultHeader.byteCount - SecretBox.tagByteCount) % VaultPayload.blockSize == 0 else {
            throw .badLength(size: size)
        }
        guard size <= maximumFileSize else { throw .tooLarge(size: size, limit: maximumFileSize) }
    }

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
        try checkLength(file.count)
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[0..<VaultHeader.byteCount])
        let box = UnsafeRawBufferPointer(rebasing: file[VaultHeader.byteCount...])
        guard let key = keys.key(withID: header.keyID) else {
            throw .sealedWithOtherKey(header.keyID, available: keys.ids)
        }
        let subkey = key.sealingKey(forHeader: headerBytes)
        let opened = header.nonce.withUnsafeBytes { SecretBox.open(box, using: subkey, nonce: $0) }
        guard let plaintext = opened else { throw .tampered }
        return Opened(header: header, key: key, plaintext: plaintext)
    }
}
