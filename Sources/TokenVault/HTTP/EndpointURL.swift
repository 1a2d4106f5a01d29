#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The parts of a token endpoint URL that decide whether a refresh token may be sent there:
/// `https` anywhere, plain `http` only to the loopback interface (127.0.0.0/8, `::1`,
/// `localhost`), never with credentials in the URL.
///
/// Only URLs that every reader takes the same way pass: visible ASCII without a backslash (no
/// space, control character or non-ASCII byte, which a terminal, a log or libcurl could read
/// otherwise), a port of plain decimal digits, and a host that is a canonical IPv4 dotted quad
/// (no leading zeros, no fewer parts, no hex or octal: libcurl would read `127.0.0.08` as a host
/// name and ask the resolver), an IPv6 literal in brackets, or a host name of letters, digits,
/// `-`, `_` and dots. libcurl is handed the URL rebuilt from what was checked, and a loopback host
/// is pinned to its address (`CURLOPT_RESOLVE`), so no resolver decides where it goes.
package struct EndpointURL: Sendable, Equatable, CustomStringConvertible {
    /// `https` or `http`, lower-case.
    package let scheme: String
    /// Lower-case; an IPv6 address without its brackets, as `inet_ntop` writes it.
    package let host: String
    /// The explicit port, 1-65535; `nil` when the URL gives none (the scheme's default).
    package let port: Int?
    /// Everything after the authority, starting with `/` (`/` when the URL has no path).
    package let pathAndQuery: String
    /// The URL exactly as given.
    package let description: String
    private let kind: HostKind

    private enum HostKind: Equatable, Sendable {
        case ipv4, ipv6, name
    }

    /// Why a URL was refused; each case carries the URL as given.
    package enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not an absolute `http` or `https` URL with a host, or one with a fragment.
        case malformed(String)
        /// Plain `http` to a host that is not loopback.
        case insecureScheme(String)
        /// A user name or password before the host; `description` redacts it.
        case credentialsInURL(String)
        /// A space, control character, backslash or non-ASCII character.
        case forbiddenCharacter(String)
        /// A port that is not 1-65535 in plain decimal digits (`+443`, `0443`, empty).
        case badPort(String)
        /// A host that is neither a canonical address nor a plain host name.
        case badHost(String)

        /// One line naming the problem, the URL cleaned and shortened for display.
        package var description: String {
            switch self {
            case .malformed(let url): return "'\(Self.shown(url))' is not an absolute http(s) URL"
            case .insecureScheme(let url):
                return "'\(Self.shown(url))' is not https; plain http is allowed only to 127.0.0.0/8, ::1 or localhost"
            case .credentialsInURL(let url): return "'\(Self.shown(Self.redacted(url)))' carries credentials in the URL"
            case .forbiddenCharacter(let url):
                return "'\(Self.shown(url))' contains a space, control character, backslash or non-ASCII character"
            case .badPort(let url): return "'\(Self.shown(url))' has a port that is not a plain number from 1 to 65535"
            case .badHost(let url):
                return "'\(Self.shown(url))' has a host that is neither a canonical IP address (like 127.0.0.1 or [::1]) nor a host name"
            }
        }

        /// The URL as a message may show it: one line, no control characters, short.
        static func shown(_ url: String) -> String { PrintableText.clean(url) }

        static func redacted(_ url: String) -> String {
            guard let scheme = url.firstRange(of: "://"), let at = url.firstRange(of: "@") else { return url }
            return String(url[..<scheme.upperBound]) + "…" + String(url[at.lowerBound...])
        }
    }

    /// Parses and checks `text` by the rules above; throws the first rule it breaks.
    package init(_ text: String) throws(Problem) {
        guard text.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "\\") }) else {
            throw .forbiddenCharacter(text)
        }
        guard let separator = text.firstRange(of: "://") else { throw .malformed(text) }
        let scheme = text[..<separator.lowerBound].lowercased()
        let rest = text[separator.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.contains("@") else { throw .credentialsInURL(text) }
        guard !rest[authorityEnd...].contains("#") else { throw .malformed(text) }
        var hostText: Substring
        var portText: Substring?
        var bracketed = false
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .malformed(text) }
            hostText = authority[authority.index(after: authority.startIndex)..<close]
            bracketed = true
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw .malformed(text) }
        } else if let colon = authority.firstIndex(of: ":") {
            hostText = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            hostText = authority
        }
        guard !hostText.isEmpty, scheme == "https" || scheme == "http" else { throw .malformed(text) }
        var port: Int?
        if let portText {
            guard let value = Self.port(portText) else { throw .badPort(text) }
            port = value
        }
        guard let (host, kind) = Self.host(String(hostText).lowercased(), bracketed: bracketed) else { throw .badHost(text) }
        self.scheme = scheme
        self.host = host
        self.kind = kind
        self.port = port
        let path = rest[authorityEnd...]
        self.pathAndQuery = path.isEmpty ? "/" : String(path)
        self.description = text
        guard scheme == "https" || isLoopback else { throw .insecureScheme(text) }
    }

    /// Whether the host is loopback: 127.0.0.0/8, `::1` or `localhost`.
    package var isLoopback: Bool {
        switch kind {
        case .ipv4: return host.hasPrefix("127.")
        case .ipv6: return host == "::1"
        case .name: return host == "localhost"
        }
    }

    /// `scheme://host[:port]`, the origin that well-known metadata paths hang off.
    package var origin: String {
        let hostPart = kind == .ipv6 ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)" + (port.map { ":\($0)" } ?? "")
    }

    /// The URL libcurl is given: rebuilt from the checked parts, not the text as typed.
    var requestURL: String { origin + pathAndQuery }

    /// For a loopback host that is not an IPv6 literal, the `CURLOPT_RESOLVE` entry
    /// (`host:port:address`) that pins it: `localhost` to 127.0.0.1 and ::1, an IPv4 address
    /// to itself. libcurl never resolves an IPv6 literal.
    var pinnedAddress: String? {
        guard isLoopback, kind != .ipv6 else { return nil }
        let effectivePort = port ?? (scheme == "https" ? 443 : 80)
        return "\(host):\(effectivePort):" + (kind == .name ? "127.0.0.1,[::1]" : host)
    }

    /// 1-65535 written in plain decimal: no sign, no leading zero, not empty.
    private static func port(_ text: Substring) -> Int? {
        guard (1...5).contains(text.utf8.count), text.first != "0",
              text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let value = Int(text), (1...65535).contains(value) else { return nil }
        return value
    }

    /// The host as libcurl will be given it, and what it is; `nil` for anything a resolver or
    /// libcurl might read as something else than what was checked.
    private static func host(_ text: String, bracketed: Bool) -> (String, HostKind)? {
        if bracketed {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
            return (String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), .ipv6)
        }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        // A host whose last label is a number (or 0x…) is an IPv4 address to URL parsers and
        // libcurl, in whatever base and number of parts: only the canonical dotted quad passes.
        if let last = labels.last, last.utf8.allSatisfy(isDigit) || last.hasPrefix("0x") {
            guard labels.count == 4, labels.allSatisfy({ label in
                (1...3).contains(label.utf8.count) && label.utf8.allSatisfy(isDigit)
                    && (label == "0" || label.first != "0") && Int(label)! <= 255
            }) else { return nil }
            var address = in_addr()
            guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
            return (text, .ipv4)
        }
        guard text.utf8.count <= 253, labels.allSatisfy({ label in
            (1...63).contains(label.utf8.count) && label.utf8.allSatisfy { byte in
                isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
        }) else { return nil }
        return (text, .name)
    }
}
