import Foundation

/// Which MCP server addresses may receive a bearer token: `https` anywhere, plain `http` only on
/// loopback (`localhost`, 127.0.0.0/8, `::1`), where nothing crosses a network.
enum EndpointSecurity {
    /// Whether a bearer token may be sent to `url`.
    static func allowsBearerToken(to url: URL) -> Bool {
        switch url.scheme?.lowercased() {
        case "https":
            return url.host?.isEmpty == false
        case "http":
            guard let host = url.host else { return false }
            return isLoopback(host)
        default:
            return false
        }
    }

    /// Whether `host` (as `URL.host` gives it, IPv6 with or without brackets) names this machine.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { octet in
            !octet.isEmpty && octet.count <= 3 && octet.allSatisfy(\.isASCII) && octet.allSatisfy(\.isNumber)
                && Int(octet).map { $0 <= 255 } == true
        }
    }
}
