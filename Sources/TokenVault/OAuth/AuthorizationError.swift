/// Why a step of the authorization code flow failed (registration, the redirect, the code
/// exchange). Every text that came from a server is cleaned ([ServerText]); no case carries a
/// code, a verifier or a token.
public enum AuthorizationError: Error, Sendable, Equatable {
    /// How the token endpoint refused an authorization code, by the classes a refresh uses.
    public enum Refusal: Sendable, Equatable {
        /// `invalid_grant` (or 401): the code expired, was used, or does not match the verifier.
        case codeRejected
        /// `invalid_client` / `unauthorized_client`: the client is not accepted.
        case clientRejected
        /// Refused as configured (`invalid_target`, a redirect, any other error).
        case configuration
        /// 429, 5xx or `temporarily_unavailable`: failing for now.
        case transient
    }

    /// The registration endpoint refused to register the client: its URL, the HTTP status, and
    /// the RFC 7591 error and description when it sent them.
    case registrationRefused(endpoint: String, status: Int, error: String?, description: String?)
    /// The registration endpoint answered something that is not a client registration.
    case registrationMalformed(endpoint: String, problem: String)
    /// A request of the flow got no answer: what was asked, the URL, and why.
    case unreachable(what: String, url: String, reason: String)
    /// The browser came back with an error (RFC 6749 §4.1.2.1): `access_denied` when the user
    /// refused, and its description.
    case errorRedirect(error: String, description: String?)
    /// The redirect's `state` is not the one this sign-in sent (another sign-in's tab, or a
    /// forged request).
    case wrongState
    /// The redirect names another issuer (RFC 9207 `iss`).
    case wrongIssuer(String)
    /// The redirect has the right `state` but neither a `code` nor an `error`.
    case missingCode
    /// What was pasted is not an address with a query (`http://127.0.0.1:PORT/callback?…`).
    case notARedirect
    /// The token endpoint refused the code: how, and the server's error and description.
    case exchangeRefused(Refusal, detail: String)
    /// The token endpoint's answer to the code is not usable tokens.
    case exchangeMalformed(String)
}

extension AuthorizationError: CustomStringConvertible {
    /// What went wrong, as a message for a person.
    public var description: String {
        switch self {
        case .registrationRefused(let endpoint, let status, let error, let description):
            let detail = ([error ?? "HTTP \(status)"] + (description.map { [$0] } ?? [])).joined(separator: ": ")
            return "the registration endpoint \(PrintableText.clean(endpoint)) refused to register TokenVault as a client (\(detail))"
        case .registrationMalformed(let endpoint, let problem):
            return "the registration endpoint \(PrintableText.clean(endpoint)) answered \(problem)"
        case .unreachable(let what, let url, let reason):
            return "cannot reach the \(what) \(PrintableText.clean(url)): \(reason)"
        case .errorRedirect(let error, let description):
            let reason = error == "access_denied" ? "the sign-in was denied (access_denied)" : "the authorization server refused the sign-in (\(error))"
            return reason + (description.map { ": \($0)" } ?? "")
        case .wrongState:
            return "the redirect's state does not match this sign-in: it came from another sign-in or was forged; nothing was redeemed"
        case .wrongIssuer(let issuer):
            return "the redirect names another issuer ('\(issuer)'); nothing was redeemed"
        case .missingCode:
            return "the redirect has neither an authorization code nor an error"
        case .notARedirect:
            return "what was pasted is not the address the browser was sent to (http://127.0.0.1:PORT/callback?code=…&state=…)"
        case .exchangeRefused(_, let detail):
            return "the token endpoint refused the authorization code (\(detail))"
        case .exchangeMalformed(let detail):
            return detail
        }
    }
}
