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
        try Self.check(start: file, size: file.count)
        keyID = KeyID(bytes: Array(file[12..<20]))
        generation = Self.generation(of: file)
        nonce = Array(file[28..<52])
    }

    /// Checks 1 to 5 of SECURITY.md's reading order: `start` holds the file's first bytes (at
    /// least 12 of them if it has that many), `size` is its length.
    static func check(start: UnsafeRawBufferPointer, size: Int) throws(VaultFormatError) {
        guard start.count >= magic.count, start.prefix(magic.count).elementsEqual(magic) else { throw .notAVault }
        guard size >= 12, start.count >= 12 else { throw .truncated(size: size) }
        guard start[10] == version else { throw .unsupportedVersion(start[10]) }
        guard start[11] == 0 else { throw .unknownFlags(start[11]) }
        guard size >= byteCount + SecretBox.tagByteCount + VaultPayload.blockSize else { throw .truncated(size: size) }
    }

    /// The generation field of a sealed vault's first `byteCount` bytes (a caller has checked
    /// there are that many), unauthenticated until the vault is opened.
    static func generation<Bytes: Collection<UInt8>>(of sealed: Bytes) -> UInt64 where Bytes.Index == Int {
        sealed[sealed.startIndex + 20..<sealed.startIndex + 28].reduce(0) { $0 << 8 | UInt64($1) }
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
