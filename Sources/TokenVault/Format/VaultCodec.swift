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

    /// Seals an already padded payload. The box is sealed straight after the header in the one
    /// array returned, with no zeroing or copy of a vault's size first.
    static func seal(paddedPayload: Secret, key: VaultKey, generation: UInt64) -> [UInt8] {
        let header = VaultHeader(
            keyID: key.id, generation: generation, nonce: Sodium.randomBytes(count: SecretBox.nonceByteCount)
        )
        let headerBytes = header.encoded
        precondition(headerBytes.count == VaultHeader.byteCount)
        let size = VaultHeader.byteCount + SecretBox.tagByteCount + paddedPayload.count
        return [UInt8](unsafeUninitializedCapacity: size) { file, count in
            let output = UnsafeMutableRawBufferPointer(file)
            headerBytes.withUnsafeBytes { headerBytes in
                output.copyMemory(from: headerBytes)
                let subkey = key.sealingKey(forHeader: headerBytes)
                paddedPayload.withUnsafeBytes { payload in
                    header.nonce.withUnsafeBytes { nonce in
                        SecretBox.seal(
                            payload, using: subkey, nonce: nonce,
                            into: UnsafeMutableRawBufferPointer(rebasing: output[VaultHeader.byteCount...])
                        )
                    }
                }
            }
            count = size
        }
    }

    /// Seals an already padded payload into the same file as `seal(paddedPayload:key:generation:)`,
    /// handing `write` the file in pieces as they are sealed, each with its offset in the file:
    /// every byte once, the box's ciphertext in order and then the header and tag (the tag is known
    /// last) at offset 0. A file that fits one piece comes as one piece. Returns the file's size.
    @discardableResult
    static func seal(
        paddedPayload: Secret, key: VaultKey, generation: UInt64, pieceSize: Int,
        write: (_ offset: Int, _ bytes: UnsafeRawBufferPointer) throws -> Void
    ) rethrows -> Int {
        let header = VaultHeader(
            keyID: key.id, generation: generation, nonce: Sodium.randomBytes(count: SecretBox.nonceByteCount)
        )
        var prefix = header.encoded
        precondition(prefix.count == VaultHeader.byteCount)
        let start = VaultHeader.byteCount + SecretBox.tagByteCount
        let size = start + paddedPayload.count
        let subkey = prefix.withUnsafeBytes { key.sealingKey(forHeader: $0) }
        // A file of one piece is gathered and written whole, with its header and tag.
        var whole: [UInt8] = []
        let tag = try paddedPayload.withUnsafeBytes { payload in
            try header.nonce.withUnsafeBytes { nonce in
                try SecretBox.seal(payload, using: subkey, nonce: nonce, pieceSize: pieceSize) { offset, piece in
                    if offset == 0 && piece.count == payload.count {
                        whole.reserveCapacity(size)
                        whole.append(contentsOf: repeatElement(0, count: start))
                        whole.append(contentsOf: piece)
                    } else {
                        try write(start + offset, piece)
                    }
                }
            }
        }
        prefix.append(contentsOf: tag)
        if whole.isEmpty {
            try prefix.withUnsafeBytes { try write(0, $0) }
        } else {
            whole.replaceSubrange(0..<start, with: prefix)
            try whole.withUnsafeBytes { try write(0, $0) }
        }
        return size
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
