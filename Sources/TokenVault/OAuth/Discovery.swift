/// Finds a profile's refresh binding from the MCP server's URL alone:
///
/// 1. RFC 9728 protected resource metadata: the `resource_metadata` URL of the server's 401
///    `WWW-Authenticate` challenge, else `/.well-known/oauth-protected-resource/<path>`, else
///    `/.well-known/oauth-protected-resource`, on the server's origin.
/// 2. The first of its `authorization_servers` is the issuer; RFC 8414
///    `/.well-known/oauth-authorization-server[/<path>]`, else OpenID Connect
///    `<issuer>/.well-known/openid-configuration`. The metadata's `issuer` must equal it
///    (RFC 8414 §3.3), and its `token_endpoint` must pass the same rules as any token endpoint.
public enum Discovery {
    /// What discovery found: everything a `RefreshBinding` needs but the client.
    public struct Result: Sendable, Equatable {
        /// The protected resource's identifier (its metadata's `resource`), sent as `resource`.
        public let resource: String
        /// The authorization server's issuer identifier, checked against its metadata.
        public let issuer: String
        /// The token endpoint, checked as any token endpoint is (`EndpointURL`).
        public let tokenEndpoint: String
        /// What a sign-in (`tokenvault login`) needs beyond a refresh; `import --server` ignores it.
        public let authorization: AuthorizationMetadata
    }

    /// The authorization server's and the protected resource's metadata for the authorization
    /// code flow. URLs are checked by the endpoint URL rules, or absent.
    public struct AuthorizationMetadata: Sendable, Equatable {
        /// `authorization_endpoint`; `nil` when the metadata has none (or an unusable one).
        public let authorizationEndpoint: String?
        /// `registration_endpoint` (RFC 7591); `nil` when the server offers no registration.
        public let registrationEndpoint: String?
        /// `code_challenge_methods_supported`, as listed (RFC 8414 §2).
        public let codeChallengeMethods: [String]
        /// The protected resource's `scopes_supported` (RFC 9728 §2), as listed.
        public let resourceScopes: [String]
    }

    /// Runs the steps above against the MCP server at `server`. Blocks for the HTTP requests,
    /// each within `limits`.
    public static func discover(server: String, limits: HTTPLimits = HTTPLimits()) throws(DiscoveryError) -> Result {
        let serverURL: EndpointURL
        do { serverURL = try EndpointURL(server) } catch { throw .invalidURL(server, error.description) }

        var candidates: [String] = []
        if let challenge = try? Curl.get(url: serverURL, limits: limits), challenge.status == 401,
           let header = challenge.wwwAuthenticate.map({ $0.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }),
           let advertised = parameter("resource_metadata", in: header) {
            candidates.append(advertised)
        }
        let path = serverURL.pathAndQuery.split(separator: "?").first.map(String.init) ?? "/"
        if path != "/" { candidates.append(serverURL.origin + "/.well-known/oauth-protected-resource" + path) }
        candidates.append(serverURL.origin + "/.well-known/oauth-protected-resource")

        let (metadataURL, resourceMetadata) = try firstDocument(candidates, limits: limits, what: "protected resource metadata")
        guard let resource = resourceMetadata["resource"], !resource.isEmpty else {
            throw .invalidMetadata(metadataURL, "it has no resource")
        }
        guard let resourceURL = try? EndpointURL(resource), resourceURL.origin == serverURL.origin else {
            throw .invalidMetadata(metadataURL, "its resource '\(PrintableText.clean(resource))' is not on \(serverURL.origin)")
        }
        guard let issuer = resourceMetadata.list("authorization_servers").first else {
            throw .invalidMetadata(metadataURL, "it names no authorization_servers")
        }
        let issuerURL: EndpointURL
        do { issuerURL = try EndpointURL(issuer) } catch { throw .invalidMetadata(metadataURL, error.description) }

        let issuerPath = issuerURL.pathAndQuery == "/" ? "" : issuerURL.pathAndQuery
        let trimmedIssuer = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let (asURL, serverMetadata) = try firstDocument([
            issuerURL.origin + "/.well-known/oauth-authorization-server" + issuerPath,
            trimmedIssuer + "/.well-known/openid-configuration",
            issuerURL.origin + "/.well-known/openid-configuration" + issuerPath,
        ].uniqued(), limits: limits, what: "authorization server metadata")
        guard serverMetadata["issuer"] == issuer else {
            throw .invalidMetadata(asURL, "its issuer '\(PrintableText.clean(serverMetadata["issuer"] ?? ""))' is not '\(issuer)'")
        }
        guard let tokenEndpoint = serverMetadata["token_endpoint"] else {
            throw .invalidMetadata(asURL, "it has no token_endpoint")
        }
        do { _ = try EndpointURL(tokenEndpoint) } catch { throw .invalidMetadata(asURL, error.description) }
        func endpoint(_ name: String) -> String? {
            serverMetadata[name].flatMap { (try? EndpointURL($0)) == nil ? nil : $0 }
        }
        let authorization = AuthorizationMetadata(
            authorizationEndpoint: endpoint("authorization_endpoint"),
            registrationEndpoint: endpoint("registration_endpoint"),
            codeChallengeMethods: serverMetadata.list("code_challenge_methods_supported"),
            resourceScopes: resourceMetadata.list("scopes_supported")
        )
        return Result(resource: resource, issuer: issuer, tokenEndpoint: tokenEndpoint, authorization: authorization)
    }

    /// Fetches the first URL that answers 200 with a JSON object.
    private static func firstDocument(
        _ urls: [String], limits: HTTPLimits, what: String
    ) throws(DiscoveryError) -> (String, MetadataDocument) {
        var lastProblem = "no URL to try"
        for url in urls {
            guard let endpoint = try? EndpointURL(url) else {
                lastProblem = "\(PrintableText.clean(url)) is not an allowed URL"
                continue
            }
            let response: HTTPResponse
            do {
                response = try Curl.get(url: endpoint, limits: limits)
            } catch {
                switch error {
                case .notSent(let reason), .noAnswer(let reason): throw .unreachable(url, reason)
                case .bodyTooLarge(let limit): lastProblem = "\(url) answered more than \(limit) bytes"
                }
                continue
            }
            guard response.status == 200, let document = MetadataDocument(response.body) else {
                lastProblem = "\(url) answered \(response.status)"
                continue
            }
            return (url, document)
        }
        throw .noMetadata(what, lastProblem)
    }

    /// A parameter of an HTTP authentication challenge: `name="value"` or `name=value`.
    static func parameter(_ name: String, in header: String) -> String? {
        guard let start = header.firstRange(of: name + "=") else { return nil }
        var rest = header[start.upperBound...]
        if rest.first == "\"" {
            rest = rest.dropFirst()
            return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
        }
        return String(rest.prefix { $0 != "," && $0 != " " })
    }
}

/// A metadata JSON object's string members and string-array members.
private struct MetadataDocument {
    private let object: JSONObject

    init?(_ body: Secret) {
        guard let document = try? JSONDocument(copying: body), let object = JSONObject(root: document) else { return nil }
        self.object = object
    }

    subscript(_ name: String) -> String? { object.string(name) }
    func list(_ name: String) -> [String] { object.strings(name) }
}

private extension Array where Element == String {
    func uniqued() -> [String] {
        var seen = Set<String>()
        return filter { seen.insert($0).inserted }
    }
}
