/// The 52-byte clear-text header of a vault file (SECURITY.md, "File format"):
///
///     offset  size  field
///          0    10  magic "tokenvault" (74 6f 6b 65 6e 76 61 75 6c 74)
///         10     1  format version, 0x01
///         11     1  flags, 0x00 (any other value is refused)
///         12     8  key id
///         20     8  generation, unsigned big-endian
///         28    24  secretbox nonce
struct VaultHeader: Equatable {
    static let magic: [UInt8] = Array("tokenvault".utf8)
    static let version: UInt8 = 1
    static let byteCount = 52

    var keyID: KeyID
    var generation: UInt64
    var nonce: [UInt8]

    init(keyID: KeyID, generation: UInt64, nonce: [UInt8]) {
        precondition(nonce.count == SecretBox.nonceByteCount)
        self.keyID = keyID
        self.generation = generation
        self.nonce = nonce
    }

    init(parsing file: UnsafeRawBufferPointer) throws(VaultFormatError) {
        guard file.count >= Self.magic.count, file.prefix(Self.magic.count).elementsEqual(Self.magic) else {
            throw .notAVault
        }
        guard file.count >= 12 else { throw .truncated(size: file.count) }
        guard file[10] == Self.version else { throw .unsupportedVersion(file[10]) }
        guard file[11] == 0 else { throw .unknownFlags(file[11]) }
        guard file.count >= Self.byteCount + SecretBox.tagByteCount + VaultPayload.blockSize else {
            throw .truncated(size: file.count)
        }
        keyID = KeyID(bytes: Array(file[12..<20]))
        generation = file[20..<28].reduce(0) { $0 << 8 | UInt64($1) }
        nonce = Array(file[28..<52])
    }

    var encoded: [UInt8] {
        var bytes = Self.magic
        bytes.reserveCapacity(Self.byteCount)
        bytes.append(Self.version)
        bytes.append(0)
        bytes.append(contentsOf: keyID.bytes)
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: generation >> UInt64(shift)))
        }
        bytes.append(contentsOf: nonce)
        return bytes
    }
}
