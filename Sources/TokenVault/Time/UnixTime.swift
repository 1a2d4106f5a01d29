/// Seconds since the Unix epoch. TokenVault stores every time this way (no time zones, no
/// Foundation), and so does the vault payload.
public typealias UnixTime = Int64
