import ArgumentParser
import Logging
import TokenVault
#if canImport(Glibc)
import Glibc
#endif

/// swift-log for the command. By default only warnings reach stderr, in the command's own voice
/// (`tokenvault: warning: …`); errors are not logged twice, since every failure ends the command
/// with its own `tokenvault: error:` line. TOKENVAULT_LOG_LEVEL=debug|info|notice shows more, in
/// swift-log's format. Log metadata never holds a secret.
enum CommandLogging {
    static let logger: Logger = {
        let level = getenv("TOKENVAULT_LOG_LEVEL").map { String(cString: $0) }.flatMap(Logger.Level.init(rawValue:))
        var logger = Logger(label: "tokenvault") { label in
            level == nil ? WarningHandler() as any LogHandler : StreamLogHandler.standardError(label: label)
        }
        logger.logLevel = level ?? .warning
        return logger
    }()

    struct WarningHandler: LogHandler {
        var logLevel: Logger.Level = .warning
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard event.level == .warning else { return }
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let details = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: ", ")
            Reporter.warning(details.isEmpty ? "\(event.message)" : "\(event.message) (\(details))")
        }
    }
}
