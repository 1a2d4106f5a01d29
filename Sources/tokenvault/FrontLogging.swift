import Logging
import Synchronization

/// The library's logger in the front: it prints nothing, and only remembers whether anything
/// was logged that the full command would print (a warning). Then the front hands the command
/// line to the full command rather than answer with less to say.
enum FrontLogging {
    static let logger = Logger(label: "tokenvault") { _ in Handler() }

    private static let warned = Atomic(false)

    static var spoke: Bool { warned.load(ordering: .relaxed) }

    struct Handler: LogHandler {
        var logLevel: Logger.Level = .warning
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            if event.level >= .warning { FrontLogging.warned.store(true, ordering: .relaxed) }
        }
    }
}
