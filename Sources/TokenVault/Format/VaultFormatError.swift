/// Why a vault file's bytes could not be opened. Each case is a different cause and is reported
/// differently (SECURITY.md, "Errors").
public enum VaultFormatError: Error, Sendable, Equatable {
    /// Shorter than the smallest possible vault.
    case truncated(size: Int)
    /// The file does not start with the TokenVault magic.
    case notAVault
    /// A format version or flag this build does not know.
    case unsupportedVersion(UInt8)
    /// Flag bits this build does not know.
    case unknownFlags(UInt8)
    /// The box is not a whole number of padding blocks: bytes were cut off or appended.
    case badLength(size: Int)
    /// Larger than any vault may be (`limit` bytes): refused from the file's size, before reading.
    case tooLarge(size: Int, limit: Int)
    /// The header names a key that none of the available keys has.
    case sealedWithOtherKey(KeyID, available: [KeyID])
    /// The key matches but the box does not verify: the file was changed after sealing.
    case tampered
    /// The box verified but its padding is malformed (a writer bug, never an attacker).
    case badPadding
    /// The payload is not what SECURITY.md, "Payload", allows; the reason names no secret.
    case badPayload(String)
    /// The payload is of a version this build does not read; the version found.
    case unsupportedPayloadVersion(Int64)
    /// Writing: the vault is at generation 2^64-1, and the generation never wraps.
    case lastGeneration
}
