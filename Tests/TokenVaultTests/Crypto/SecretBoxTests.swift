import Testing
@testable import TokenVault

private func bytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8).filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

private func secureKey(_ key: [UInt8]) -> SecureBuffer {
    key.withUnsafeBytes { SecureBuffer(copying: $0) }
}

@Suite("secretbox binding")
struct SecretBoxTests {
    // libsodium test/default/secretbox_easy.c and .exp (the NaCl "firstkey" vector).
    static let firstKey = bytes("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389")
    static let nonce = bytes("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37")
    static let message = bytes("""
        be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c0123\
        3561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924\
        ca1c60902e52f0a089bc76897040e082f937763848645e0705
        """)
    static let expected = bytes("""
        f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98\
        dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6b\
        b3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5
        """)

    @Test("seal matches libsodium's published secretbox_easy vector")
    func sealKnownAnswer() {
        #expect(Self.message.count == 131 && Self.expected.count == 147)
        let box = Self.message.withUnsafeBytes { message in
            Self.nonce.withUnsafeBytes { SecretBox.seal(message, using: secureKey(Self.firstKey), nonce: $0) }
        }
        #expect(box.ciphertextWithTag == Self.expected)
    }

    @Test("sealing in pieces gives the box sealing in one go gives", arguments: [0, 1, 31, 32, 33, 63, 64, 65, 96, 97, 131, 1000, 4096, 70_001])
    func piecesMatchOneGo(_ length: Int) {
        let key = secureKey(Self.firstKey)
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = message.withUnsafeBytes { message in
            Self.nonce.withUnsafeBytes { SecretBox.seal(message, using: key, nonce: $0) }
        }.ciphertextWithTag
        for pieceSize in [64, 128, 192, 1024, 65_536] {
            var ciphertext: [UInt8] = []
            var sizes: [Int] = []
            let tag = message.withUnsafeBytes { message in
                Self.nonce.withUnsafeBytes { nonce in
                    SecretBox.seal(message, using: key, nonce: nonce, pieceSize: pieceSize) { offset, piece in
                        #expect(offset == ciphertext.count)
                        sizes.append(piece.count)
                        ciphertext.append(contentsOf: piece)
                    }
                }
            }
            #expect(tag + ciphertext == whole, "\(length) bytes in pieces of \(pieceSize)")
            #expect(sizes.allSatisfy { $0 <= pieceSize })
        }
    }

    @Test("open recovers libsodium's published plaintext")
    func openKnownAnswer() throws {
        let opened = Self.expected.withUnsafeBytes { box in
            Self.nonce.withUnsafeBytes { SecretBox.open(box, using: secureKey(Self.firstKey), nonce: $0) }
        }
        let plaintext = try #require(opened)
        #expect(Array(UnsafeRawBufferPointer(plaintext.bytes)) == Self.message)
    }

    @Test("an all-zero key and nonce seal \"test\" as other bindings publish")
    func zeroKeyVector() {
        let box = Array("test".utf8).withUnsafeBytes { message in
            [UInt8](repeating: 0, count: 24).withUnsafeBytes {
                SecretBox.seal(message, using: secureKey([UInt8](repeating: 0, count: 32)), nonce: $0)
            }
        }
        #expect(box.ciphertextWithTag == [175, 153, 180, 147, 246, 123, 253, 41, 159, 169, 32, 114, 64, 251, 167, 179, 178, 91, 200, 139])
    }

    @Test("every flipped bit of a box makes open fail")
    func flippedBitsFail() {
        let key = secureKey(Self.firstKey)
        for index in Self.expected.indices {
            for bit in 0..<8 {
                var damaged = Self.expected
                damaged[index] ^= UInt8(1 << bit)
                let opened = damaged.withUnsafeBytes { box in Self.nonce.withUnsafeBytes { SecretBox.open(box, using: key, nonce: $0) } }
                #expect(opened == nil, "flip of bit \(bit) at byte \(index) was accepted")
            }
        }
    }

    @Test("a short box is refused, not read out of bounds")
    func shortBox() {
        let opened = [UInt8](repeating: 0, count: 15).withUnsafeBytes { box in
            Self.nonce.withUnsafeBytes { SecretBox.open(box, using: secureKey(Self.firstKey), nonce: $0) }
        }
        #expect(opened == nil)
    }
}

@Suite("vault keys")
struct VaultKeyTests {
    @Test("the text form round-trips and the key id is stable")
    func textRoundTrip() throws {
        let key = VaultKey.generate()
        let line = key.textLine()
        let ring = try KeyRing.parse(line, source: "test")
        #expect(ring.keys.count == 1)
        #expect(ring.sealingKey.id == key.id)
        #expect(line.withUnsafeBytes { $0.starts(with: Array("tokenvault-key-v1:".utf8)) })
        #expect(line.count == "tokenvault-key-v1:".count + 44 + 1)
    }

    @Test("a key id is keyed BLAKE2b-64 of the label, so different keys have different ids")
    func keyIDsDiffer() {
        let ids = Set((0..<64).map { _ in VaultKey.generate().id })
        #expect(ids.count == 64)
    }

    @Test("keyfiles skip comments and blanks, keep order, and name the bad line")
    func keyfileParsing() throws {
        let first = VaultKey.generate(), second = VaultKey.generate()
        let text = "# comment\n\n  " + first.textLine().unsafeStringValue() + second.textLine().unsafeStringValue()
        let ring = try KeyRing.parse(Secret(copying: text), source: "k")
        #expect(ring.ids == [first.id, second.id])

        #expect {
            try KeyRing.parse(Secret(copying: "# ok\ntokenvault-key-v1:AAAA\n"), source: "k")
        } throws: { error in
            guard case KeyError.malformedKey(source: "k", line: 2) = error else { return false }
            return true
        }
        #expect {
            try KeyRing.parse(Secret(copying: "# only a comment\n"), source: "k")
        } throws: { error in
            guard case KeyError.emptyKeySource = error else { return false }
            return true
        }
    }
}
