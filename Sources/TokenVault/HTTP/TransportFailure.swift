/// Why no complete HTTP answer came back. The distinction that matters for a refresh token is
/// whether the request may have reached the server (then the token may be spent).
enum TransportFailure: Error, Equatable {
    /// Nothing was sent: the token endpoint could not be reached.
    case notSent(String)
    /// The request went out but no complete answer came back (timeout, reset, truncated body).
    case noAnswer(String)
    /// The answer was larger than the cap.
    case bodyTooLarge(limit: Int)
}
