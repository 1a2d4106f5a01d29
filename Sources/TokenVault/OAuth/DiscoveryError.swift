/// Why discovery failed.
public enum DiscoveryError: Error, Sendable, CustomStringConvertible {
    /// The server URL given was refused: the URL, and why.
    case invalidURL(String, String)
    /// A metadata request got no answer: the URL, and why.
    case unreachable(String, String)
    /// No candidate URL served the metadata: what was looked for, and the last problem.
    case noMetadata(String, String)
    /// Metadata was found but refused: its URL, and why.
    case invalidMetadata(String, String)

    /// Every URL and value in it that came from a server is shown cleaned ([ServerText]): metadata
    /// can hold anything, terminal escapes included.
    public var description: String {
        switch self {
        case .invalidURL(_, let problem): return "cannot discover from this URL: \(problem)"
        case .unreachable(let url, let reason): return "cannot reach \(PrintableText.clean(url)): \(reason)"
        case .noMetadata(let what, let problem): return "found no \(what) (last: \(problem))"
        case .invalidMetadata(let url, let problem): return "refusing the metadata at \(PrintableText.clean(url)): \(problem)"
        }
    }
}
