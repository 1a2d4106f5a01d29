/// The parts of a token endpoint URL that decide whether a refresh token may be sent there:
/// `https` anywhere, plain `http` only to the loopback interface (127.0.0.0/8, `::1`,
/// `localhost`), never with credentials in the URL.
public struct EndpointURL: Sendable, Equatable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?
    public let pathAndQuery: String
    public let description: String

    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case malformed(String)
        case insecureScheme(String)
        case credentialsInURL(String)

        public var description: String {
            switch self {
            case .malformed(let url): return "'\(url)' is not an absolute http(s) URL"
            case .insecureScheme(let url):
                return "'\(url)' is not https; plain http is allowed only to 127.0.0.1, ::1 or localhost"
            case .credentialsInURL(let url): return "'\(Self.redacted(url))' carries credentials in the URL"
            }
        }

        static func redacted(_ url: String) -> String {
            guard let scheme = url.firstRange(of: "://"), let at = url.firstRange(of: "@") else { return url }
            return String(url[..<scheme.upperBound]) + "…" + String(url[at.lowerBound...])
        }
    }

    public init(_ text: String) throws(Problem) {
        guard let separator = text.firstRange(of: "://") else { throw .malformed(text) }
        let scheme = text[..<separator.lowerBound].lowercased()
        let rest = text[separator.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.contains("@") else { throw .credentialsInURL(text) }
        guard !rest[authorityEnd...].contains("#") else { throw .malformed(text) }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .malformed(text) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw .malformed(text) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty, scheme == "https" || scheme == "http" else { throw .malformed(text) }
        var port: Int?
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw .malformed(text) }
            port = value
        }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        let path = rest[authorityEnd...]
        self.pathAndQuery = path.isEmpty ? "/" : String(path)
        self.description = text
        guard scheme == "https" || isLoopback else { throw .insecureScheme(text) }
    }

    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        // Exactly four dotted decimal octets of 1-3 ASCII digits ("127.-0.0.1" is a host name).
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { octet in
            (1...3).contains(octet.utf8.count) && octet.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
                && Int(octet)! <= 255
        }
    }

    /// `scheme://host[:port]`, the origin that well-known metadata paths hang off.
    public var origin: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)" + (port.map { ":\($0)" } ?? "")
    }
}
