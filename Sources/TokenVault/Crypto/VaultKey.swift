/// The 8-byte identifier of a vault key: keyed BLAKE2b-64 of a fixed label, so it reveals
/// nothing about the key yet lets a reader say *which* key sealed a vault.
public struct KeyID: Hashable, Sendable, CustomStringConvertible {
    /// The 8 identifier bytes.
    public let bytes: [UInt8]

    init(bytes: [UInt8]) {
        precondition(bytes.count == KeyID.byteCount)
        self.bytes = bytes
    }

    static let byteCount = 8
    /// 16 lowercase hex digits.
    public var description: String { bytes.hexString }
}

/// A 32-byte vault key in guarded memory.
///
/// Text form: `tokenvault-key-v1:` followed by the standard base64 (with padding) of the
/// 32 key bytes; 62 characters in all. See SECURITY.md, "Keys".
public struct VaultKey: Sendable {
    static let byteCount = Sodium.secretboxKeyByteCount
    static let textPrefix = "tokenvault-key-v1:"
    static let idLabel: StaticString = "tokenvault-key-id"

    let material: SecureBuffer
    /// The key's identifier, as written in the header of a vault it seals.
    public let id: KeyID

    init(material: SecureBuffer) {
        precondition(material.count == VaultKey.byteCount)
        self.material = material
        var id = [UInt8](repeating: 0, count: KeyID.byteCount)
        id.withUnsafeMutableBytes { output in
            Sodium.blake2b(
                into: output,
                message: UnsafeRawBufferPointer(start: Self.idLabel.utf8Start, count: Self.idLabel.utf8CodeUnitCount),
                key: UnsafeRawBufferPointer(material.bytes)
            )
        }
        self.id = KeyID(bytes: id)
    }

    /// A fresh key from the kernel's CSPRNG.
    public static func generate() -> VaultKey {
        let material = SecureBuffer(count: byteCount)
        Sodium.fillRandom(material.bytes)
        return VaultKey(material: material)
    }

    /// Parses the text form. `text` is the bytes of one key line, without surrounding blanks.
    static func parse(text: UnsafeRawBufferPointer) -> VaultKey? {
        let prefix = Array(textPrefix.utf8)
        guard text.count > prefix.count, text.prefix(prefix.count).elementsEqual(prefix) else { return nil }
        let encoded = UnsafeRawBufferPointer(rebasing: text[prefix.count...])
        let material = SecureBuffer(count: byteCount)
        guard Sodium.decodeBase64(encoded, into: material.bytes, variant: .standard) == byteCount else { return nil }
        return VaultKey(material: material)
    }

    /// The text form, written into guarded memory, with a trailing newline.
    func textLine() -> Secret {
        var writer = SecureWriter(capacity: 128)
        writer.append(public: Self.textPrefix)
        writer.append(Sodium.encodeBase64(UnsafeRawBufferPointer(material.bytes), variant: .standard))
        writer.append(UInt8(ascii: "\n"))
        return writer.finish()
    }

    /// The key that seals one particular vault file: keyed BLAKE2b-256 of the whole file header,
    /// nonce included. Binding the header this way authenticates every header byte (secretbox has
    /// no associated data) and gives every seal a key of its own.
    func sealingKey(forHeader header: UnsafeRawBufferPointer) -> SecureBuffer {
        let subkey = SecureBuffer(count: Self.byteCount)
        Sodium.blake2b(into: subkey.bytes, message: header, key: UnsafeRawBufferPointer(material.bytes))
        return subkey
    }
}
