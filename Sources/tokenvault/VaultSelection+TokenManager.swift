import ArgumentParser
import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

extension VaultOptions {
    func tokenManager() throws -> TokenManager { try selection.tokenManager() }
}

extension VaultSelection {
    /// `TOKENVAULT_HTTP_TIMEOUT` (seconds) caps a whole token request; the connect timeout is
    /// the smaller of it and 10 s.
    func tokenManager() throws -> TokenManager {
        var limits = HTTPLimits()
        if let text = getenv("TOKENVAULT_HTTP_TIMEOUT").map({ String(cString: $0) }) {
            guard let seconds = Double(text), seconds >= 1, seconds <= 600 else {
                throw CommandFailure(message: "TOKENVAULT_HTTP_TIMEOUT='\(text)' is not a number of seconds from 1 to 600", hint: "unset it or set e.g. TOKENVAULT_HTTP_TIMEOUT=30", status: .usage)
            }
            limits.totalTimeout = seconds
            limits.connectTimeout = min(10, seconds)
        }
        return TokenManager(store: try store(), limits: limits, logger: CommandLogging.logger)
    }
}
