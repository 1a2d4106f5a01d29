import SystemPackage

/// Why `--remove-plaintext` left a plaintext token file in place.
public enum PlaintextKept: Sendable, Equatable {
    /// The path no longer names the file that was read: it was renamed, replaced or removed.
    case replaced
    /// The file has this many other hard links, which would keep the tokens readable.
    case otherHardLinks(Int)
    /// The file read was written to since (its size, modification time or bytes differ): it
    /// may hold tokens newer than the ones read.
    case changed
}
