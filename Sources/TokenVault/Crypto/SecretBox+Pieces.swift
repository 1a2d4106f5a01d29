extension SecretBox {
    /// Seals `plaintext` into exactly the box `seal(_:using:nonce:)` gives, a piece at a time, so
    /// that a caller can write each piece out while the next is sealed. `piece` gets every piece of
    /// the ciphertext in order, each at most `pieceSize` bytes (a multiple of 64), with its offset
    /// in the ciphertext; the tag, which the box puts first, is returned once the last is sealed.
    ///
    /// A secretbox is XSalsa20 from byte 32 of its key stream XORed into the message, and Poly1305
    /// of that ciphertext under the stream's first 32 bytes: each piece is one call of the stream
    /// from the 64-byte block its offset falls on, and the tag is computed as the pieces pass.
    static func seal(
        _ plaintext: UnsafeRawBufferPointer,
        using key: SecureBuffer,
        nonce: UnsafeRawBufferPointer,
        pieceSize: Int,
        piece: (_ offset: Int, _ ciphertext: UnsafeRawBufferPointer) throws -> Void
    ) rethrows -> [UInt8] {
        precondition(Sodium.ready && key.count == keyByteCount && nonce.count == nonceByteCount)
        precondition(pieceSize >= 64 && pieceSize % 64 == 0)
        // The key stream's first block: the Poly1305 key, then what the message's first 32 bytes
        // are XORed with.
        let firstBlock = SecureBuffer(count: 64)
        Sodium.zero(firstBlock.bytes)
        Sodium.xsalsa20XOR(into: firstBlock.bytes, message: UnsafeRawBufferPointer(firstBlock.bytes), fromBlock: 0, nonce: nonce, key: key.base)
        let state = SecureBuffer(count: Sodium.oneTimeAuthStateByteCount)
        Sodium.oneTimeAuthStart(state.base, key: firstBlock.base)
        var output = [UInt8](repeating: 0, count: Swift.min(pieceSize, plaintext.count))
        var offset = 0
        while offset < plaintext.count {
            // The first piece is 32 bytes short, so that every later one starts on a block.
            let end = Swift.min(offset == 0 ? pieceSize - 32 : offset + pieceSize, plaintext.count)
            let count = end - offset
            try output.withUnsafeMutableBytes { buffer in
                let out = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
                var done = 0
                if offset == 0 {
                    done = Swift.min(32, count)
                    for index in 0..<done { out[index] = plaintext[index] ^ firstBlock.bytes[32 + index] }
                }
                Sodium.xsalsa20XOR(
                    into: UnsafeMutableRawBufferPointer(rebasing: out[done...]),
                    message: UnsafeRawBufferPointer(rebasing: plaintext[(offset + done)..<end]),
                    fromBlock: UInt64((offset + done + 32) / 64), nonce: nonce, key: key.base
                )
                Sodium.oneTimeAuthUpdate(state.base, UnsafeRawBufferPointer(out))
                try piece(offset, UnsafeRawBufferPointer(out))
            }
            offset = end
        }
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        tag.withUnsafeMutableBytes { Sodium.oneTimeAuthFinish(state.base, tag: $0) }
        return tag
    }
}
