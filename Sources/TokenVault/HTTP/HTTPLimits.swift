/// Timeouts and limits for token-endpoint requests.
public struct HTTPLimits: Sendable {
    public var connectTimeout: Double = 10
    public var totalTimeout: Double = 30
    public var maximumBodyBytes = 64 * 1024

    public init(connectTimeout: Double = 10, totalTimeout: Double = 30, maximumBodyBytes: Int = 64 * 1024) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maximumBodyBytes = maximumBodyBytes
    }
}
