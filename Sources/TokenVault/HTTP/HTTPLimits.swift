/// Timeouts and limits for token-endpoint requests.
public struct HTTPLimits: Sendable {
    /// Seconds allowed to connect (TLS handshake included).
    public var connectTimeout: Double = 10
    /// Seconds allowed for the whole request, connection included.
    public var totalTimeout: Double = 30
    /// The largest response body read, in bytes; a longer one fails the request.
    public var maximumBodyBytes = 64 * 1024

    /// Limits with the given values; the defaults are 10 s, 30 s and 64 KiB.
    public init(connectTimeout: Double = 10, totalTimeout: Double = 30, maximumBodyBytes: Int = 64 * 1024) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maximumBodyBytes = maximumBodyBytes
    }
}
